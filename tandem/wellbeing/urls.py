from django.urls import path

from tandem.wellbeing import views

urlpatterns = [
    path("wellbeing/", views.home, name="wellbeing_home"),
    path("wellbeing/check-in/", views.checkin, name="wellbeing_checkin"),
    path("wellbeing/trend/", views.trend, name="wellbeing_trend"),
    path("wellbeing/tools/", views.tools, name="wellbeing_tools"),
    path("wellbeing/tools/<slug:tool>/", views.tool, name="wellbeing_tool"),
    path("wellbeing/safety-plan/", views.safety_plan, name="wellbeing_safety_plan"),
    path("patients/<uuid:patient>/wellbeing/", views.patient_overview, name="wellbeing_patient"),
    path(
        "patients/<uuid:patient>/safety-plan/",
        views.patient_safety_plan,
        name="wellbeing_patient_safety_plan",
    ),
]
