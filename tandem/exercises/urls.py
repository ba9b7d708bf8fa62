from django.urls import path

from tandem.exercises import views

# Module keys are the programs app's slot keys: a module id, or "<program>.<module id>"
# for a module added from another program — hence <str:module>, which also accepts every
# slug.
EXERCISE = "enrollments/<uuid:enrollment>/modules/<str:module>/exercises/<slug:exercise>/"

urlpatterns = [
    path(EXERCISE, views.exercise_fill, name="exercise_fill"),
    path(EXERCISE + "autosave/", views.exercise_autosave, name="exercise_autosave"),
    path(EXERCISE + "skip/", views.exercise_skip, name="exercise_skip"),
    path(EXERCISE + "hard/", views.exercise_hard, name="exercise_hard"),
    path("entries/<uuid:entry>/", views.exercise_entry, name="exercise_entry"),
    path("entries/<uuid:entry>/feedback/", views.exercise_feedback, name="exercise_feedback"),
    path(
        "entries/<uuid:entry>/feedback/seen/",
        views.exercise_feedback_seen,
        name="exercise_feedback_seen",
    ),
    path("hard/<uuid:moment>/seen/", views.exercise_hard_seen, name="exercise_hard_seen"),
    path("patients/<uuid:patient>/exercises/", views.patient_exercises, name="patient_exercises"),
]
