from django.apps import AppConfig


class BlendedConfig(AppConfig):
    name = "tandem.blended"
    label = "blended"

    def ready(self) -> None:
        from tandem.blended import demo, handlers
        from tandem.core import seeding

        handlers.register()
        seeding.register(70, "blended", demo.seed)
