from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tandem.care"
    label = "care"
    verbose_name = "Care workspace"

    def ready(self) -> None:
        from tandem.care import demo, digest, handlers
        from tandem.core import seeding

        handlers.register()
        digest.register()
        seeding.register(90, "care", demo.seed)
