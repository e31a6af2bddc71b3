"""The filter bar of a report page (and the CSV link, which carries the same query string)."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import BoundedDateField
from doctors.models import Doctor
from reports.registry import DOCTOR, FROM, TO, Filters, Report


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Doctor) -> str:
        return f"{obj.full_name} ({obj.code})"


class ReportFilterForm(forms.Form):
    """Only the filters the report takes. A doctor's own reports have no doctor choice: the
    access helper has already pinned them to their own figures."""

    def __init__(
        self, data: Any = None, *, report: Report, own_doctor: Doctor | None = None
    ) -> None:
        super().__init__(data)
        self.own_doctor = own_doctor
        date = forms.DateInput(attrs={"type": "date", "class": "form-control"})
        if FROM in report.filters:
            self.fields[FROM] = BoundedDateField(label="From", required=False, widget=date)
        if TO in report.filters:
            self.fields[TO] = BoundedDateField(label="To", required=False, widget=date)
        if DOCTOR in report.filters and own_doctor is None:
            self.fields[DOCTOR] = DoctorChoiceField(
                label="Doctor",
                queryset=Doctor.objects.order_by("last_name", "first_name", "code"),
                to_field_name="code",
                required=False,
                empty_label="All doctors",
                widget=forms.Select(attrs={"class": "form-select"}),
            )

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
        )
