from django.urls import path

from tandem.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/invite/", views.invite_patient, name="invite_patient"),
    path("patients/<uuid:patient>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:patient>/care-team/", views.care_team_add, name="care_team_add"),
    path(
        "patients/<uuid:patient>/care-team/<uuid:member>/end/",
        views.care_team_end,
        name="care_team_end",
    ),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("clinic/break-glass/", views.break_glass_reviews, name="break_glass_reviews"),
    path(
        "clinic/break-glass/<uuid:grant>/review/",
        views.break_glass_review,
        name="break_glass_review",
    ),
    path("clinic/audit/", views.clinic_audit_log, name="clinic_audit_log"),
    path("me/access-log/", views.my_access_log, name="my_access_log"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.invite_staff, name="invite_staff"),
    path("staff/<uuid:user>/", views.staff_detail, name="staff_detail"),
    path(
        "invitations/<uuid:invitation>/revoke/", views.revoke_invitation, name="revoke_invitation"
    ),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("preferences/", views.preferences, name="preferences"),
]
