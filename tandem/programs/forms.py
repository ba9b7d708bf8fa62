"""Forms for enrolling, tailoring and the patient's pace agreement. They check shape and
range; the services check the rules (care team, one ongoing enrollment per program)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from tandem.programs import services
from tandem.programs.models import (
    Enrollment,
    EnrollmentStatus,
    GuidanceMode,
    PacingPolicy,
    ProgramVersion,
)

PACE_VALUES = [Decimal(n) / 2 for n in range(1, 15)]  # 0.5 … 7 modules a week


def pace_label(value: Decimal) -> str:
    """Plain words for a weekly pace, to use inside a sentence."""
    value = Decimal(value)
    if value == Decimal("0.5"):
        return str(_("one module every two weeks"))
    if value == value.to_integral_value():
        n = int(value)
        return ngettext("%(n)d module a week", "%(n)d modules a week", n) % {"n": n}
    return str(_("%(n)s modules a week")) % {"n": f"{value.normalize():f}"}


def _pace_choices(values: list[Decimal]) -> list[tuple[str, str]]:
    return [(f"{v:.1f}", capfirst(pace_label(v))) for v in values]


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProgramVersion) -> str:  # type: ignore[override]
        program = obj.package.program
        return f"{program.title.text(self.lang)} ({obj.version})"

    lang = "en"


class EnrollForm(forms.Form):
    version = VersionChoiceField(
        label=_("Program"),
        queryset=ProgramVersion.objects.none(),
        empty_label=None,
        to_field_name="uuid",
    )
    guidance_mode = forms.ChoiceField(
        label=_("Guidance"), choices=GuidanceMode.choices, initial=GuidanceMode.GUIDED
    )
    pacing_policy = forms.ChoiceField(
        label=_("How modules open"), choices=PacingPolicy.choices, initial=PacingPolicy.WEEKLY
    )
    interval_days = forms.IntegerField(
        label=_("Days between modules"),
        help_text=_("Used when one new module opens every N days."),
        min_value=services.INTERVAL_DAYS[0],
        max_value=services.INTERVAL_DAYS[1],
        initial=7,
    )
    pace_min_per_week = forms.TypedChoiceField(
        label=_("Slowest pace the patient may choose"),
        coerce=Decimal,
        initial="0.5",
    )
    pace_max_per_week = forms.TypedChoiceField(
        label=_("Fastest pace the patient may choose"),
        coerce=Decimal,
        initial="2.0",
    )

    def __init__(self, *args, lang: str = "en", **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        field = self.fields["version"]
        field.queryset = (  # type: ignore[attr-defined]
            ProgramVersion.objects.filter(is_current=True)
            .select_related("program")
            .order_by("program__code")
        )
        field.lang = lang  # type: ignore[attr-defined]
        for name in ("pace_min_per_week", "pace_max_per_week"):
            self.fields[name].choices = _pace_choices(PACE_VALUES)  # type: ignore[attr-defined]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        low, high = data.get("pace_min_per_week"), data.get("pace_max_per_week")
        if low is not None and high is not None and low > high:
            self.add_error(
                "pace_max_per_week", _("The fastest pace must not be slower than the slowest.")
            )
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=EnrollmentStatus.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when the program is discontinued. Only the care team sees it."),
    )

    def __init__(self, *args, enrollment: Enrollment, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        allowed = services.TRANSITIONS.get(enrollment.status, frozenset())
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in EnrollmentStatus.choices if value in allowed
        ]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        reason = data.get("reason", "").strip()
        if data.get("status") == EnrollmentStatus.DISCONTINUED and not reason:
            self.add_error("reason", _("Say why the program is discontinued."))
        return data


class AddModuleForm(forms.Form):
    module = forms.ChoiceField(label=_("Module from another program"))

    def __init__(self, *args, enrollment: Enrollment, lang: str = "en", **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.options = {
            f"{version.uuid}:{module.id}": (version, module)
            for version, module in services.addable_modules(enrollment)
        }
        self.fields["module"].choices = [  # type: ignore[attr-defined]
            (value, f"{version.package.program.title.text(lang)} — {module.title.text(lang)}")
            for value, (version, module) in self.options.items()
        ]

    def chosen(self):  # type: ignore[no-untyped-def]
        return self.options[self.cleaned_data["module"]]


class PaceForm(forms.Form):
    """The patient's pace agreement: a weekly pace within the bounds, and (when the
    program has optional modules) their order."""

    per_week = forms.DecimalField(
        label=_("My pace"),
        max_digits=3,
        decimal_places=1,
        widget=forms.Select,
    )

    def __init__(self, *args, enrollment: Enrollment, lang: str = "en", **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.enrollment = enrollment
        self.low, self.high = services.pace_bounds(enrollment)
        field = self.fields["per_week"]
        field.widget.choices = _pace_choices(services.pace_choices(enrollment))
        field.initial = f"{Decimal(enrollment.pace_per_week):.1f}"
        optional = [s for s in services.slots(enrollment) if s.optional]
        # An order only means something with two or more optional modules.
        self.optional = optional if len(optional) > 1 else []
        count = len(self.optional)
        positions = [(str(n), str(n)) for n in range(1, count + 1)]
        for index, slot in enumerate(self.optional, start=1):
            self.fields[f"order_{index}"] = forms.TypedChoiceField(
                label=slot.module.title.text(lang),
                choices=positions,
                coerce=int,
                initial=str(index),
                help_text=pgettext_lazy(
                    "optional module order", "Position among the optional modules"
                ),
            )
            self.fields[f"order_{index}"].slot_key = slot.key  # type: ignore[attr-defined]

    def clean_per_week(self) -> Decimal:
        value = self.cleaned_data["per_week"]
        if not self.low <= value <= self.high:
            raise forms.ValidationError(
                _("Choose a pace between %(low)s and %(high)s."),
                params={"low": pace_label(self.low), "high": pace_label(self.high)},
                code="out_of_range",
            )
        return value

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        chosen = [data.get(f"order_{n}") for n in range(1, len(self.optional) + 1)]
        if None not in chosen and len(set(chosen)) != len(chosen):
            self.add_error(None, _("Give each optional module a different position."))
        return data

    def optional_order(self) -> list[str]:
        ranked = sorted(
            (self.cleaned_data[f"order_{n}"], slot.key)
            for n, slot in enumerate(self.optional, start=1)
        )
        return [key for _position, key in ranked]
