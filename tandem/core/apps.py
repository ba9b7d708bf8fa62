from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandem.core"
    label = "core"

    def ready(self) -> None:
        from tandem.core import crypto

        crypto.check_keys()
