from django.urls import path

from tandem.journey import views

urlpatterns = [
    path("", views.journey_home, name="journey_home"),
    path("<uuid:enrollment>/", views.journey_program, name="journey_program"),
    path("<uuid:enrollment>/pace/", views.journey_pace, name="journey_pace"),
    path("<uuid:enrollment>/modules/<str:module>/", views.module_start, name="module_start"),
    path(
        "<uuid:enrollment>/modules/<str:module>/complete/",
        views.module_complete,
        name="module_complete",
    ),
    path(
        "<uuid:enrollment>/modules/<str:module>/pages/<str:page>/",
        views.module_page,
        name="module_page",
    ),
]
