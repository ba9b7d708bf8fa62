"""Enrollment and progress use cases: one function per change, keyword-only arguments,
an explicit ``actor``, one transaction each, with their audit entries and events.

A *slot* is one module of an enrollment's tailored program: the version's own modules
(keyed by module id) followed by modules added from other programs (keyed
``<program code>.<module id>``, never a valid module id, so keys cannot collide). The
patient's order of optional modules is applied to the optional positions; hidden slots
are left out of pacing and out of the patient's view.

Who may do what: the patient acts on their own enrollment (open, read, complete, agree a
pace); a therapist on the patient's active care team changes it (enroll, status,
tailoring, unlock, feedback, version). Anything else raises ``PermissionDenied``; views
turn that into 404. Input that is wrong but allowed raises ``ValidationError``.

- ``reading``: slots, module states, where to resume, pace bounds (no writes);
- ``enrollment``: the therapist's changes;
- ``progress``: the patient's pace agreement and progress.
"""

from tandem.programs.services.enrollment import (
    add_module,
    addable_modules,
    enroll,
    hide_module,
    move_to_version,
    record_module_feedback,
    set_status,
    show_module,
    unlock_module,
)
from tandem.programs.services.progress import (
    agree_pace,
    complete_module,
    open_module,
    view_page,
)
from tandem.programs.services.reading import (
    INTERVAL_DAYS,
    ONGOING,
    PACE_HIGHEST,
    PACE_LOWEST,
    PACE_STEP,
    TRANSITIONS,
    ModuleView,
    Slot,
    expected_completed,
    may_manage,
    module_states,
    module_view,
    pace_bounds,
    pace_choices,
    resume,
    slots,
)

__all__ = [
    "INTERVAL_DAYS",
    "ONGOING",
    "PACE_HIGHEST",
    "PACE_LOWEST",
    "PACE_STEP",
    "TRANSITIONS",
    "ModuleView",
    "Slot",
    "add_module",
    "addable_modules",
    "agree_pace",
    "complete_module",
    "enroll",
    "expected_completed",
    "hide_module",
    "may_manage",
    "module_states",
    "module_view",
    "move_to_version",
    "open_module",
    "pace_bounds",
    "pace_choices",
    "record_module_feedback",
    "resume",
    "set_status",
    "show_module",
    "slots",
    "unlock_module",
    "view_page",
]
