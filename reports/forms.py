"""The filter bar of a report page (and the CSV link, which carries the same query string)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from core.forms import BoundedDateField
from doctors.models import Doctor, Specialty
from doctors.selectors import doctors_matching
from reports.registry import (
    DEFAULT_PERIOD_DAYS,
    DOCTOR,
    FROM,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    PATIENT,
    SPECIALTY,
    TO,
    Filters,
    Report,
)

SIZE, AFTER = "size", "after"


class DoctorField(forms.CharField):
    """A doctor by code, or by part of a name only one doctor has; blank: all doctors. A text
    box with suggestions as the person types (`reports:doctor_options`), not a drop-down of
    every doctor: a large hospital has hundreds, and the page would draw them all."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = {
            "class": "form-control",
            "list": "doctor-options",
            "autocomplete": "off",
            "placeholder": "All doctors",
            "hx-get": reverse_lazy("reports:doctor_options"),
            "hx-trigger": "input changed delay:250ms, focus once",
            "hx-target": "#doctor-options",
            "aria-describedby": "doctor-help",
        }
        super().__init__(
            required=False, max_length=100, widget=forms.TextInput(attrs=attrs), **kwargs
        )

    def clean(self, value: Any) -> Doctor | None:
        text = super().clean(value)
        if not text:
            return None
        found = doctors_matching(text, limit=6)
        if not found:
            raise forms.ValidationError(
                f"No doctor has the code or name “{text}”: type part of a name and pick one "
                "from the list, or leave it blank for all doctors."
            )
        if len(found) > 1:
            names = ", ".join(f"{d.full_name} ({d.code})" for d in found[:5])
            more = " and more" if len(found) > 5 else ""
            raise forms.ValidationError(
                f"Several doctors match “{text}”: {names}{more}. Type the code of the one you mean."
            )
        return found[0]


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last DEFAULT_PERIOD_DAYS days up to today (the hospital's day)."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


class ReportFilterForm(forms.Form):
    """Only the filters the report takes. A doctor's own reports have no doctor choice: the
    access helper has already pinned them to their own figures.

    On a page (`page=True`) a report over events in time with neither date given covers the
    default period, written into the inputs so the person sees what they are looking at; a
    paged report also takes the page size (`size`) and the page token (`after`)."""

    def __init__(
        self,
        data: Any = None,
        *,
        report: Report,
        own_doctor: Doctor | None = None,
        page: bool = False,
    ) -> None:
        if page and report.default_period and data is not None:
            if not data.get(FROM) and not data.get(TO):
                data = data.copy()
                start, end = default_period()
                data[FROM], data[TO] = start.isoformat(), end.isoformat()
        super().__init__(data)
        self.report = report
        self.own_doctor = own_doctor
        date = forms.DateInput(attrs={"type": "date", "class": "form-control"})
        if FROM in report.filters:
            self.fields[FROM] = BoundedDateField(label="From", required=False, widget=date)
        if TO in report.filters:
            self.fields[TO] = BoundedDateField(label="To", required=False, widget=date)
        if DOCTOR in report.filters and own_doctor is None:
            self.fields[DOCTOR] = DoctorField(label="Doctor")
        if SPECIALTY in report.filters and own_doctor is None:
            self.fields[SPECIALTY] = forms.ModelChoiceField(
                label="Specialty",
                queryset=Specialty.objects.order_by("name"),
                to_field_name="name",
                required=False,
                empty_label="All specialties",
                widget=forms.Select(attrs={"class": "form-select"}),
                error_messages={"invalid_choice": "Pick a specialty from the list."},
            )
        if PATIENT in report.filters:
            self.fields[PATIENT] = forms.CharField(
                label="Patient",
                required=False,
                max_length=100,
                widget=forms.TextInput(
                    attrs={"class": "form-control", "placeholder": "MRN or name", "size": 16}
                ),
            )
        if page and (report.paged or report.doctor_paged):
            self.fields[SIZE] = forms.IntegerField(
                label="Doctors per page" if report.doctor_paged else "Rows per page",
                required=False,
                min_value=1,
                max_value=MAX_PAGE_SIZE,
                widget=forms.NumberInput(
                    attrs={"class": "form-control", "placeholder": str(PAGE_SIZE), "size": 4}
                ),
                error_messages={
                    "min_value": f"Show between 1 and {MAX_PAGE_SIZE} rows per page.",
                    "max_value": f"Show between 1 and {MAX_PAGE_SIZE} rows per page.",
                    "invalid": f"Show between 1 and {MAX_PAGE_SIZE} rows per page.",
                },
            )
            # Not a filter a person sets: the "Next page" link carries it.
            self.fields[AFTER] = forms.CharField(required=False, widget=forms.HiddenInput)
        # Set when the page token could not be read: the view shows the first page and says so.
        self.stale_page = False

    def clean_after(self) -> str | None:
        token = self.cleaned_data.get(AFTER) or None
        if token is not None and len(token) > 200:
            self.stale_page = True
            return None
        return token

    def clean_patient(self) -> str | None:
        text = " ".join(self.cleaned_data.get(PATIENT, "").split())
        if text and not text.isprintable():
            raise forms.ValidationError("Type an MRN or part of a patient's name.")
        return text or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get(FROM), cleaned.get(TO)
        if start and end and end < start:
            raise forms.ValidationError("The end date is before the start date.")
        return cleaned

    def filters(self) -> Filters:
        return Filters(
            date_from=self.cleaned_data.get(FROM),
            date_to=self.cleaned_data.get(TO),
            doctor=self.own_doctor or self.cleaned_data.get(DOCTOR),
            specialty=self.cleaned_data.get(SPECIALTY),
            patient=self.cleaned_data.get(PATIENT),
        )

    def page_size(self) -> int:
        return self.cleaned_data.get(SIZE) or PAGE_SIZE

    def after(self) -> str | None:
        return self.cleaned_data.get(AFTER) or None
