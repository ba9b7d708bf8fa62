from django.urls import path

from tandem.notifications import views

urlpatterns = [
    path("notifications/", views.inbox, name="notifications_inbox"),
    path("notifications/read/", views.mark_read, name="notifications_mark_read"),
    path("notifications/settings/", views.preferences, name="notification_preferences"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.unsubscribe,
        name="notifications_unsubscribe",
    ),
    path("clinic/deliveries/", views.delivery_log, name="notifications_delivery_log"),
    path("clinic/reminders/", views.clinic_defaults, name="notifications_clinic_defaults"),
    path(
        "clinic/deliveries/<uuid:notification>/resend/",
        views.resend,
        name="notifications_resend",
    ),
]
