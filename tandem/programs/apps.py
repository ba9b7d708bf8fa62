from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "tandem.programs"
    label = "programs"

    def ready(self) -> None:
        from tandem.core import seeding
        from tandem.programs import demo

        seeding.register(20, "programs", demo.seed)
