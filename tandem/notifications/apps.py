from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tandem.notifications"
    label = "notifications"

    def ready(self) -> None:
        from tandem.notifications import digest, handlers

        handlers.register()
        digest.register_builtin()
