from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tandem.notifications"
    label = "notifications"

    def ready(self) -> None:
        from tandem.accounts import notices
        from tandem.notifications import digest, handlers, services

        handlers.register()
        digest.register_builtin()
        notices.register_sender(services.send_security_notice)
