from django.apps import AppConfig


class WellbeingConfig(AppConfig):
    name = "tandem.wellbeing"
    label = "wellbeing"

    def ready(self) -> None:
        from tandem.core import seeding
        from tandem.wellbeing import demo

        seeding.register(60, "wellbeing", demo.seed)
