from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "tandem.messaging"
    label = "messaging"

    def ready(self) -> None:
        from tandem.core import seeding
        from tandem.messaging import demo, handlers

        handlers.connect()
        seeding.register(50, "messaging", demo.seed)

        from django.utils.translation import gettext_lazy as _

        from tandem.messaging import cover
        from tandem.safety import registry

        registry.register_unavailability(cover.absent_therapist_ids)
        labels = {
            "message.risk_language": _("Risk language in a message"),
            "checkin.risk_language": _("Risk language in a check-in note"),
        }
        registry.register_reason_labels("message", labels.get)
        registry.register_reason_labels("checkin", labels.get)
