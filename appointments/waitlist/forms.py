"""The waitlist page's forms: its filters, and a waiter's (new or changed)."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils import timezone

from appointments.waitlist.models import EVERY_DAY, WEEKDAY_NAMES, WaitPriority
from core.forms import BoundedDateField, VisibleTextForm
from core.params import record_id
from doctors.models import Doctor, Specialty
from patients.models import Patient

DEFAULT_WEEKS = 4


def _doctors():
    return Doctor.objects.active().select_related("specialty").order_by("last_name", "pk")


class WaitlistFilterForm(forms.Form):
    doctor = forms.ModelChoiceField(_doctors(), required=False, empty_label="Every doctor")
    specialty = forms.ModelChoiceField(
        Specialty.objects.order_by("name"), required=False, empty_label="Every specialty"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "d-flex flex-wrap align-items-end gap-2 mb-3"
        self.helper.layout = Layout("doctor", "specialty")


class WaitlistEntryForm(VisibleTextForm, forms.Form):
    """A waiter: the patient (by MRN, when new), one doctor or a specialty, the dates, the
    weekdays and hours that suit them, the priority and a note."""

    patient = forms.CharField(
        label="Patient's MRN", max_length=40, help_text="As on the patient's page, e.g. P0000123."
    )
    doctor = forms.ModelChoiceField(
        _doctors(), required=False, empty_label="Any doctor of the specialty"
    )
    specialty = forms.ModelChoiceField(
        Specialty.objects.order_by("name"),
        required=False,
        empty_label="—",
        help_text="Pick a doctor, or a specialty for any of its doctors.",
    )
    day_from = BoundedDateField(label="From")
    day_to = BoundedDateField(label="Until")
    weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit",
        choices=[(str(bit), name) for bit, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    earliest = forms.TimeField(
        label="Not before", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    latest = forms.TimeField(
        label="Ending by", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    priority = forms.TypedChoiceField(
        choices=WaitPriority.choices, coerce=int, initial=WaitPriority.NORMAL
    )
    note = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, patient: Patient | None = None, **kwargs) -> None:
        today = timezone.localdate()
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {
            "day_from": today,
            "day_to": today + datetime.timedelta(weeks=DEFAULT_WEEKS),
            "weekdays": [str(bit) for bit in range(7)],
            "priority": WaitPriority.NORMAL,
            **kwargs["initial"],
        }
        super().__init__(*args, **kwargs)
        self.fixed_patient = patient
        if patient is not None:
            del self.fields["patient"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *(["patient"] if patient is None else []),
            Div(
                Div("doctor", css_class="col-md"),
                Div("specialty", css_class="col-md"),
                css_class="row",
            ),
            Div(
                Div("day_from", css_class="col-md"),
                Div("day_to", css_class="col-md"),
                css_class="row",
            ),
            Field("weekdays", wrapper_class="waitlist-days"),
            Div(
                Div("earliest", css_class="col-md"),
                Div("latest", css_class="col-md"),
                css_class="row",
            ),
            "priority",
            "note",
        )

    def clean_patient(self) -> Patient:
        mrn = self.cleaned_data["patient"].strip()
        patient = Patient.objects.filter(mrn__iexact=mrn).first()
        if patient is None:
            raise forms.ValidationError(f"No patient has the MRN {mrn}.")
        return patient

    def clean_weekdays(self) -> int:
        mask = 0
        for bit in self.cleaned_data["weekdays"]:
            if 0 <= bit < 7:
                mask |= 1 << bit
        return mask or EVERY_DAY

    def clean(self):
        data = super().clean()
        if data.get("doctor") is None and data.get("specialty") is None:
            raise forms.ValidationError("Pick a doctor or a specialty.")
        if data.get("doctor") is not None:
            data["specialty"] = None  # one doctor: their specialty goes without saying
        first, last = data.get("day_from"), data.get("day_to")
        if first and last and last < first:
            self.add_error("day_to", "The last day comes on or after the first day.")
        early, late = data.get("earliest"), data.get("latest")
        if early and late and late <= early:
            self.add_error("latest", "The latest time comes after the earliest.")
        return data

    @staticmethod
    def initial_for(entry) -> dict:
        """The form's initial values from a waiter."""
        return {
            "doctor": entry.doctor_id,
            "specialty": entry.specialty_id,
            "day_from": entry.day_from,
            "day_to": entry.day_to,
            "weekdays": [str(bit) for bit in range(7) if entry.weekdays & 1 << bit],
            "earliest": entry.earliest,
            "latest": entry.latest,
            "priority": entry.priority,
            "note": entry.note,
        }


class _PrefillDay(forms.Form):
    day = BoundedDateField(required=False)


def prefill_initial(query, *, note: str = "") -> dict:
    """The add form's first values from a link's query (the booking page's "Put on the
    waitlist"): `patient`, `doctor` or `specialty` (ids), `day` (ISO date: the first day
    wanted, today or later) and `note`. Each is checked as the form would; a bad or unknown one
    is left out, never an error. Up to three queries (patient, doctor, specialty)."""
    initial: dict = {}
    if (pk := record_id(query.get("patient"))) is not None:
        patient = Patient.objects.filter(pk=pk).only("mrn").first()
        if patient is not None:
            initial["patient"] = patient.mrn
    if (pk := record_id(query.get("doctor"))) is not None and _doctors().filter(pk=pk).exists():
        initial["doctor"] = pk
    elif (pk := record_id(query.get("specialty"))) is not None:
        if Specialty.objects.filter(pk=pk).exists():
            initial["specialty"] = pk
    day_form = _PrefillDay({"day": query.get("day", "")})
    day = day_form.cleaned_data["day"] if day_form.is_valid() else None
    if day is not None and day >= timezone.localdate():
        initial["day_from"] = day
        initial["day_to"] = day + datetime.timedelta(weeks=DEFAULT_WEEKS)
    note = " ".join((note or "").split())[:255]
    if note:
        initial["note"] = note
    return initial
