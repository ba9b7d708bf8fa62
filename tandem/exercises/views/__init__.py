"""Thin views: parse, authorise, call a service, render.

Patient: ``exercise_fill`` (the worksheet with its draft, earlier entries, skip and "this
is hard"), ``exercise_autosave`` (htmx / beacon), ``exercise_skip``, ``exercise_hard``,
``exercise_entry`` and ``exercise_feedback_seen``. Care team: ``exercise_entry`` with the
inline feedback form, ``exercise_feedback``, ``exercise_hard_seen``, ``patient_exercises``.
Enrollments are found with ``enrollment_for``, entries and moments with this app's
policies: anything not visible is 404.
"""

from tandem.exercises.views.entries import (
    exercise_entry,
    exercise_feedback,
    exercise_feedback_seen,
    exercise_hard_seen,
    patient_exercises,
)
from tandem.exercises.views.worksheet import (
    exercise_autosave,
    exercise_fill,
    exercise_hard,
    exercise_skip,
)

__all__ = [
    "exercise_autosave",
    "exercise_entry",
    "exercise_feedback",
    "exercise_feedback_seen",
    "exercise_fill",
    "exercise_hard",
    "exercise_hard_seen",
    "exercise_skip",
    "patient_exercises",
]
