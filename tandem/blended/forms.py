"""Forms of blended care. Times are typed in the therapist's own time zone and turned
into aware datetimes here; services store them in UTC."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tandem.accounts.models import CareTeamMember, Role, User
from tandem.blended import load
from tandem.blended.models import (
    NOTE_SECTIONS,
    AppointmentKind,
    HomeworkKind,
    TreatmentPlan,
)
from tandem.blended.services import describe
from tandem.blended.services.appointments import MAX_OCCURRENCES
from tandem.blended.services.homework import MAX_TEXT
from tandem.programs import services as programs
from tandem.programs.models import Enrollment

DURATIONS = (30, 45, 50, 60, 75, 90, 120)
REPEAT_CHOICES = (
    ("none", _("Does not repeat")),
    ("weekly", _("Every week")),
    ("biweekly", _("Every other week")),
)


def combine(day: Any, at: time, zone: ZoneInfo) -> datetime:
    """A local date and time in ``zone`` as an aware datetime (a time skipped by a
    daylight-saving change moves forward, as clocks do)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


def _duration_choices() -> list[tuple[int, str]]:
    return [(m, ngettext("%(n)d minute", "%(n)d minutes", m) % {"n": m}) for m in DURATIONS]


class WhenForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DateInput)
    at = forms.TimeField(label=_("Time"), widget=TimeInput)
    duration = forms.TypedChoiceField(
        label=_("Length"), coerce=int, choices=_duration_choices, initial=50
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=AppointmentKind.choices, initial=AppointmentKind.IN_PERSON
    )
    location = forms.CharField(
        label=_("Place or how to join"),
        max_length=200,
        required=False,
        help_text=_("Shown to the patient in Tandem; never put in calendar feeds."),
    )

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["at"].help_text = _("Your time zone: %(zone)s") % {"zone": str(zone)}

    def starts_at(self) -> datetime:
        return combine(self.cleaned_data["day"], self.cleaned_data["at"], self.zone)


class ScheduleForm(WhenForm):
    therapist = forms.ModelChoiceField(
        label=_("Therapist"), queryset=User.objects.none(), required=False
    )
    repeat = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, initial="none")
    occurrences = forms.IntegerField(
        label=_("Number of sessions in the series"),
        min_value=1,
        max_value=MAX_OCCURRENCES,
        initial=1,
        required=False,
    )

    field_order = [
        "day",
        "at",
        "duration",
        "kind",
        "therapist",
        "location",
        "repeat",
        "occurrences",
    ]

    def __init__(self, *args: Any, enrollment: Enrollment, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = User.objects.filter(
            role=Role.THERAPIST,
            is_active=True,
            pk__in=CareTeamMember.objects.active()
            .filter(patient_id=enrollment.patient_id)
            .values("therapist_id"),
        )
        self.fields["therapist"].queryset = team
        self.fields["therapist"].initial = actor.pk
        self.fields["therapist"].label_from_instance = lambda u: u.full_name

    def clean_occurrences(self) -> int:
        return self.cleaned_data.get("occurrences") or 1


class RescheduleForm(WhenForm):
    pass


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the session cancelled?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TopicForm(forms.Form):
    text = forms.CharField(
        label=_("Add a topic"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AgendaItemForm(forms.Form):
    text = forms.CharField(label=_("Add to the agenda"), max_length=500)


class NoteForm(forms.Form):
    def __init__(self, *args: Any, readonly: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in NOTE_SECTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=20_000,
                widget=forms.Textarea(
                    attrs={"rows": 4, **({"readonly": True} if readonly else {})}
                ),
            )

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name, _label in NOTE_SECTIONS}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Corrections and additions are appended with your name and the time."),
    )


class HomeworkForm(forms.Form):
    task = forms.ChoiceField(label=_("Task"))
    text = forms.CharField(
        label=_("Describe the task"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a task of your own."),
    )
    minutes = forms.IntegerField(
        label=_("Estimated minutes"),
        min_value=1,
        max_value=600,
        required=False,
        help_text=_("Leave empty to use the program's estimate."),
    )
    due_day = forms.DateField(label=_("Due date"), widget=DateInput)
    due_at = forms.TimeField(label=_("Due time"), widget=TimeInput, initial=time(20, 0))
    plan_goal = forms.TypedChoiceField(
        label=_("Goal of the plan it serves"), coerce=int, required=False, empty_value=None
    )
    override = forms.BooleanField(
        label=_("Give it anyway, above the weekly load limit"), required=False
    )
    override_reason = forms.CharField(
        label=_("Why the limit is exceeded"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        enrollment: Enrollment,
        lang: str,
        zone: ZoneInfo,
        next_start: datetime | None,
        plan: TreatmentPlan | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.enrollment = enrollment
        self.zone = zone
        self.next_start = next_start
        program = [(o.value, o.label) for o in describe.program_options(enrollment, lang)]
        questionnaires = [(o.value, o.label) for o in describe.questionnaire_options()]
        self.fields["task"].choices = [
            ("", "—"),
            (_("From the program"), program),
            (_("Questionnaires"), questionnaires),
            (_("Other"), [(f"{HomeworkKind.CUSTOM}:", _("A task of our own (describe it)"))]),
        ]
        goals = list(plan.goals) if plan else []
        self.fields["plan_goal"].choices = [("", "—"), *[(i, g) for i, g in enumerate(goals)]]
        if not goals:
            self.fields["plan_goal"].widget = forms.HiddenInput()
        if next_start is not None:
            local = next_start.astimezone(zone) - timedelta(hours=2)
            self.fields["due_day"].initial = local.date()
            self.fields["due_at"].initial = local.time().replace(second=0, microsecond=0)
            self.fields["due_day"].help_text = _("The next session: %(when)s") % {
                "when": formats.date_format(next_start.astimezone(zone), "j M Y, H:i")
            }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice = data.get("task")
        if choice:
            try:
                data["parsed"] = describe.parse_choice(self.enrollment, choice)
            except forms.ValidationError as exc:
                self.add_error("task", exc.messages)
                return data
            if data["parsed"].kind == HomeworkKind.CUSTOM and not (data.get("text") or "").strip():
                self.add_error("text", _("Describe the task."))
        if data.get("due_day") and data.get("due_at"):
            data["due"] = combine(data["due_day"], data["due_at"], self.zone)
            if self.next_start is not None and data["due"] > self.next_start:
                self.add_error(
                    "due_day",
                    _("Homework is due before the next session. Choose an earlier date."),
                )
        if data.get("override") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", _("Say why the limit is exceeded."))
        return data

    def estimate(self) -> int:
        parsed = self.cleaned_data.get("parsed")
        return self.cleaned_data.get("minutes") or (
            parsed.minutes if parsed else load.CUSTOM_MINUTES
        )


class PlanForm(forms.Form):
    goals = forms.CharField(
        label=_("Goals"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One goal a line, in the patient's words where you can."),
    )
    planned_sessions = forms.IntegerField(
        label=_("Planned number of sessions"), min_value=1, max_value=60, initial=8
    )

    def __init__(self, *args: Any, enrollment: Enrollment, lang: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.module_fields: list[tuple[str, str]] = []
        for view in programs.module_states(enrollment=enrollment):
            name = f"module__{view.key}"
            self.fields[name] = forms.IntegerField(
                label=_("Module %(n)d: %(title)s")
                % {"n": view.number, "title": view.module.title.text(lang)},
                min_value=1,
                max_value=60,
                required=False,
                help_text=_("Session number (empty: not planned)"),
            )
            self.module_fields.append((name, view.key))

    def goal_list(self) -> list[str]:
        return [g.strip() for g in (self.cleaned_data.get("goals") or "").splitlines() if g.strip()]

    def session_modules(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for name, key in self.module_fields:
            number = self.cleaned_data.get(name)
            if number:
                out.setdefault(number, []).append(key)
        return out

    @classmethod
    def initial_for(cls, plan: TreatmentPlan | None) -> dict[str, Any]:
        if plan is None:
            return {}
        initial: dict[str, Any] = {
            "goals": "\n".join(plan.goals),
            "planned_sessions": plan.planned_sessions,
        }
        for number, keys in plan.session_modules.items():
            for key in keys:
                initial[f"module__{key}"] = int(number)
        return initial


class LoadLimitForm(forms.Form):
    minutes_per_week = forms.IntegerField(label=_("Minutes a week"), min_value=10, max_value=600)
    assignments_per_week = forms.IntegerField(label=_("Tasks a week"), min_value=1, max_value=20)
