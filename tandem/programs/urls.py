from django.urls import path

from tandem.programs import views

urlpatterns = [
    path("patients/<uuid:patient>/enroll/", views.enrollment_create, name="enrollment_create"),
    path("enrollments/<uuid:enrollment>/", views.enrollment_detail, name="enrollment_detail"),
    path(
        "enrollments/<uuid:enrollment>/status/", views.enrollment_status, name="enrollment_status"
    ),
    path(
        "enrollments/<uuid:enrollment>/add-module/",
        views.enrollment_add_module,
        name="enrollment_add_module",
    ),
    path(
        "enrollments/<uuid:enrollment>/modules/<str:module>/",
        views.enrollment_module,
        name="enrollment_module",
    ),
    path("enrollments/<uuid:enrollment>/move/", views.enrollment_move, name="enrollment_move"),
    path("programs/media/<uuid:version>/<path:path>", views.program_media, name="program_media"),
]
