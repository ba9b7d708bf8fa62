from django.urls import path

from tandem.care import views

urlpatterns = [
    path("care/", views.triage, name="care_triage"),
    path("care/caseload/", views.caseload, name="care_caseload"),
    path("care/patients/<uuid:patient>/", views.patient_overview, name="care_patient"),
    path("care/patients/<uuid:patient>/time/", views.time_add, name="care_time_add"),
    path("care/signals/<uuid:signal>/snooze/", views.signal_snooze, name="care_signal_snooze"),
    path("care/signals/<uuid:signal>/resolve/", views.signal_resolve, name="care_signal_resolve"),
    path("care/signals/<uuid:signal>/outreach/", views.outreach, name="care_outreach"),
    path(
        "care/outreach/<uuid:step>/outcome/",
        views.outreach_outcome,
        name="care_outreach_outcome",
    ),
    path("care/heartbeat/", views.heartbeat, name="care_heartbeat"),
    path("care/time/", views.time_week, name="care_time"),
    path("care/time/planned/", views.planned_minutes, name="care_planned_minutes"),
    path("care/time/<uuid:entry>/", views.time_edit, name="care_time_edit"),
    path("care/supervisor/", views.supervisor, name="care_supervisor"),
    path("care/reassign/", views.reassign, name="care_reassign"),
    path("care/rules/", views.rules_view, name="care_rules"),
]
