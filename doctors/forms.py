"""Forms of the doctors' timetable pages. They validate; services write."""

from __future__ import annotations

import datetime

from crispy_forms.bootstrap import FormActions
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row, Submit
from django import forms
from django.utils import timezone

from core.forms import (
    GUARD_CHANGED,
    GUARD_UNSAVED,
    BoundedDateField,
    BoundedDateTimeField,
    VisibleTextForm,
)
from doctors.models import TIME_OFF_LONGEST, Specialty, Weekday

SLOT_CHOICES = [(m, f"{m} minutes") for m in (10, 15, 20, 30, 45, 60, 90, 120)]


def _minutes(moment: datetime.time) -> int:
    return moment.hour * 60 + moment.minute


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(
        label="From", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label="Until", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    slot_minutes = forms.TypedChoiceField(
        label="Slot length", choices=SLOT_CHOICES, coerce=int, initial=30
    )
    valid_from = BoundedDateField(label="Valid from", initial=timezone.localdate)
    valid_until = BoundedDateField(
        label="Valid until", required=False, help_text="Leave empty for open-ended."
    )

    def __init__(self, *args, submit_label: str = "Save hours", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = dict(GUARD_UNSAVED)
        self.helper.layout = Layout(
            HTML(GUARD_CHANGED),
            Row(Column("weekday"), Column("start_time"), Column("end_time")),
            Row(Column("slot_minutes"), Column("valid_from"), Column("valid_until")),
            FormActions(Submit("save", submit_label)),
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        slot = data.get("slot_minutes")
        if start and end and end <= start:
            self.add_error("end_time", "The hours must end after they start.")
        elif start and end and slot and _minutes(end) - _minutes(start) < slot:
            self.add_error("end_time", f"The hours are shorter than one {slot}-minute slot.")
        since, until = data.get("valid_from"), data.get("valid_until")
        if since and until and until < since:
            self.add_error("valid_until", "The end of validity cannot be before its start.")
        return data


class TimeOffForm(VisibleTextForm, forms.Form):
    start = BoundedDateTimeField(
        label="From",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = BoundedDateTimeField(
        label="Until",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = dict(GUARD_UNSAVED)
        self.helper.layout = Layout(
            HTML(GUARD_CHANGED),
            Row(Column("start"), Column("end")),
            "reason",
            FormActions(Submit("save", "Add time off")),
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "Time off must end after it starts.")
        elif start and end and end - start > TIME_OFF_LONGEST:
            self.add_error(
                "end", "Time off lasts at most a year: enter a longer absence as several periods."
            )
        return data


class ScheduleFilterForm(forms.Form):
    specialty = forms.ModelChoiceField(
        Specialty.objects.order_by("name"), required=False, empty_label="All specialties"
    )
    on = BoundedDateField(label="Hours valid on", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(
                Column("specialty", css_class="col-md-4"),
                Column("on", css_class="col-md-3"),
                Column(
                    Submit("show", "Show", css_class="btn-secondary"), css_class="col-md-2 pt-md-4"
                ),
            )
        )

    def day(self) -> datetime.date:
        return (self.is_valid() and self.cleaned_data.get("on")) or timezone.localdate()
