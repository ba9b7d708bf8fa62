from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "tandem.assessments"
    label = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from tandem.assessments import demo, handlers
        from tandem.core import seeding

        handlers.register()
        seeding.register(40, "assessments", demo.seed)
