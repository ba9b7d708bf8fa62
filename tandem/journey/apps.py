from django.apps import AppConfig


class JourneyConfig(AppConfig):
    name = "tandem.journey"
    label = "journey"

    def ready(self) -> None:
        from tandem.journey import handlers

        handlers.connect()
