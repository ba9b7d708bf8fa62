"""Form pieces shared by several apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class WorkingDayMixin(forms.BaseForm):
    """A working day (``workday_start``/``workday_end``) that ends after it starts, and a
    ``holiday_country`` known to the ``holidays`` package."""

    def clean_holiday_country(self) -> str:
        import holidays

        code = (self.cleaned_data.get("holiday_country") or "").upper()
        if code and code not in holidays.list_supported_countries():
            raise forms.ValidationError(_("Unknown country code."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("workday_start"), data.get("workday_end")
        if start and end and end <= start:
            self.add_error("workday_end", _("The working day must end after it starts."))
        return data
