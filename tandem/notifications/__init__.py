"""Notifications: email, SMS and in-app delivery, reminders, digests, the delivery log.

Other apps call ``services.notify``, ``services.alert_immediately``, ``services.remind``,
``services.remind_appointment``, ``services.withdraw_reminder``, ``digest.register`` and
``routing.register_unavailability``; see docs/notifications.md.
"""
