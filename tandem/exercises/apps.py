from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "tandem.exercises"
    label = "exercises"

    def ready(self) -> None:
        from tandem.core import seeding
        from tandem.exercises import demo

        seeding.register(30, "exercises", demo.seed)

        from tandem.accounts.middleware import register_expiry_rescuer
        from tandem.exercises.views.worksheet import rescue_expired

        register_expiry_rescuer("exercise_fill", rescue_expired)
        register_expiry_rescuer("exercise_autosave", rescue_expired)
