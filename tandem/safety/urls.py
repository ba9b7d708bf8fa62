from django.urls import path

from tandem.safety import views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<uuid:alert>/", views.alert_detail, name="alert_detail"),
    path("alerts/<uuid:alert>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("help/", views.crisis_help, name="crisis_help"),
    path("safety/settings/", views.safety_settings, name="safety_settings"),
    path(
        "safety/settings/crisis/<str:language>/",
        views.crisis_resources_edit,
        name="safety_crisis_edit",
    ),
]
