"""Forms of the booking desk. Plain forms, not ModelForms: a ModelForm on Appointment without
`status` fails in `validate_constraints` (the exclusion constraints' condition names it), and
the overlap rule belongs to `appointment_book` and the database anyway."""

from __future__ import annotations

import datetime
from collections import defaultdict

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from appointments.selectors import OFFERED_MINUTES, bookable_doctors
from core.forms import CalendarDateField, VisibleTextForm
from doctors.models import Doctor, Specialty
from patients.models import Patient

LENGTH_CHOICES = [("", "One slot (the doctor's usual)")] + [
    (str(m), f"{m} minutes") for m in OFFERED_MINUTES
]

_PICKER = HTML(
    '<div id="slot-picker" aria-live="polite">{% include "appointments/_slot_picker.html" %}</div>'
)
_SHOW_BUTTONS = HTML(
    """<div class="d-flex flex-wrap gap-2 mb-3">
  <button type="submit" name="action" value="show" class="btn btn-outline-secondary">
    Show free slots</button>
  <button type="submit" name="action" value="first" class="btn btn-outline-primary"
          hx-get="{% url 'appointments:slot_picker' %}" hx-include="[data-slot-filter]"
          hx-vals='{"first": "1"}' hx-target="#slot-picker">First free slot</button>
</div>"""
)


def _picker_attrs() -> dict[str, str]:
    """htmx on a filter: refresh the slot picker with every filter's value."""
    return {
        "data-slot-filter": "",
        "hx-get": reverse("appointments:slot_picker"),
        "hx-trigger": "change",
        "hx-target": "#slot-picker",
        "hx-include": "[data-slot-filter]",
    }


class SlotFilterForm(forms.Form):
    """What the slot picker shows: one doctor, or every doctor of a specialty; the length
    of the visit; the first day."""

    specialty = forms.ModelChoiceField(
        Specialty.objects.order_by("name"), required=False, empty_label="Any specialty"
    )
    doctor = forms.ModelChoiceField(
        Doctor.objects.active().select_related("specialty"),
        required=False,
        empty_label="Any doctor of the specialty",
    )
    length = forms.TypedChoiceField(
        label="Visit length", choices=LENGTH_CHOICES, coerce=int, empty_value=None, required=False
    )
    from_date = CalendarDateField(label="From")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in ("specialty", "doctor", "length", "from_date"):
            self.fields[field].widget.attrs.update(_picker_attrs())

    def filters(self) -> dict:
        """The valid filters (an invalid one counts as not given), the day not in the past."""
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds every field that is valid
            data = self.cleaned_data
        today = timezone.localdate()
        from_date = data.get("from_date") or today
        minutes = data.get("length")
        return {
            "specialty": data.get("specialty"),
            "doctor": data.get("doctor"),
            "length": datetime.timedelta(minutes=minutes) if minutes else None,
            "from_date": max(from_date, today),
        }


class _Folded(Div):
    """The booking's doctor, day and slot, folded under a summary of the chosen slot once one
    is chosen (a free calendar cell chooses it), so that the booking needs only the patient;
    open when no slot is chosen yet."""

    template = "appointments/_booking_when.html"

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        return render_to_string(self.template, {"fields": fields, "chosen": context.get("chosen")})


class BookingForm(VisibleTextForm, SlotFilterForm):
    """Book: the patient (searched for on the page, or chosen before), the filters, one free
    slot (preselected from a calendar cell's `time`), a reason."""

    patient = forms.ModelChoiceField(
        Patient.objects.active(),
        widget=forms.HiddenInput,
        required=False,  # the page asks for the patient; booking without one says so
        error_messages={
            "invalid_choice": "That patient cannot be booked (unknown or deactivated): "
            "choose another."
        },
    )
    slot = forms.CharField(required=False)
    # The start of the free calendar cell the booking came from: its slot is preselected.
    time = forms.TimeField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason for the visit", max_length=255, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doctor"].widget.choices = [
            ("", "Any doctor of the specialty"),
            *doctor_choices(),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            HTML('{% include "appointments/_booking_patient.html" %}'),
            _Folded(
                Row(
                    Column("specialty", css_class="col-md-3"),
                    Column("doctor", css_class="col-md-4"),
                    Column("length", css_class="col-md-3"),
                    Column("from_date", css_class="col-md-2"),
                ),
                _SHOW_BUTTONS,
                Fieldset("Free slots", _PICKER),
                HTML('{% include "appointments/_booking_waitlist.html" %}'),
            ),
            "time",
            Div("reason", css_class="col-md-8"),
            HTML('{% include "appointments/_series_repeat.html" %}'),
            HTML(
                '<button type="submit" name="action" value="book" id="book-button"'
                ' class="btn btn-primary btn-lg"{% if patient and chosen %} autofocus{% endif %}>'
                "Book appointment</button>"
            ),
        )

    def clean(self) -> dict:
        data = super().clean()
        raw = data.get("slot") or ""
        data["slot_choice"] = parse_slot(raw) if raw else None
        if raw and data["slot_choice"] is None:
            self.add_error("slot", "That slot is not valid any more — pick another.")
        return data


def doctor_choices() -> list:
    """Every bookable doctor, grouped by specialty (optgroups), each label with the specialty
    too, for a select a keyboard can walk through. One query."""
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for doctor in bookable_doctors():
        groups[doctor.specialty.name].append((doctor.pk, f"{doctor} · {doctor.specialty}"))
    return sorted(groups.items())


class RescheduleForm(forms.Form):
    """Move an appointment: a free slot of the same length with its doctor or another one.

    `doctor` and `from_date` refresh the slot picker (htmx; "Show free slots" without
    JavaScript), whose slots come from the booking page's engine (`selectors.slot_picker`).
    """

    doctor = forms.ModelChoiceField(
        Doctor.objects.active().select_related("specialty"),
        required=False,
        label="Doctor",
        help_text="The appointment's doctor, or a colleague to move it to.",
    )
    from_date = CalendarDateField(label="From")
    appointment = forms.IntegerField(widget=forms.HiddenInput)
    slot = forms.CharField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doctor"].widget.choices = doctor_choices()
        for field in ("doctor", "from_date"):
            self.fields[field].widget.attrs.update(_picker_attrs())
        self.fields["appointment"].widget.attrs.update({"data-slot-filter": ""})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "appointment",
            Row(
                Column("doctor", css_class="col-md-6"),
                Column("from_date", css_class="col-md-3"),
            ),
            _SHOW_BUTTONS,
            _PICKER,
            HTML(
                '<button type="submit" name="action" value="book" class="btn btn-primary btn-lg">'
                "Move the appointment</button>"
            ),
        )

    def picker_filters(self, *, doctor: Doctor) -> tuple[Doctor, datetime.date]:
        """The doctor whose slots to show (`doctor`, the appointment's, unless another valid
        one was chosen) and the first day (not in the past); an invalid value counts as not
        given."""
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds every field that is valid
            data = self.cleaned_data
        today = timezone.localdate()
        return data.get("doctor") or doctor, max(data.get("from_date") or today, today)

    def clean(self) -> dict:
        data = super().clean()
        raw = data.get("slot") or ""
        data["slot_choice"] = parse_slot(raw) if raw else None
        if raw and data["slot_choice"] is None:
            self.add_error("slot", "That slot is not valid any more — pick another.")
        return data


def parse_slot(value: str):
    """ "doctor|start|end" (the picker's radio value) → (Doctor, start, end), or None."""
    parts = value.split("|")
    if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit()):
        return None
    try:
        start, end = parse_datetime(parts[1]), parse_datetime(parts[2])
    except ValueError:  # well formed but no such time, e.g. 30 February
        return None
    if start is None or end is None or timezone.is_naive(start) or timezone.is_naive(end):
        return None
    doctor = Doctor.objects.filter(pk=int(parts[0])).select_related("specialty").first()
    if doctor is None or end <= start:
        return None
    return doctor, start, end


class DropForm(forms.Form):
    """Where an appointment was dropped on the day calendar: a free cell's doctor, day and
    time (static/appointments/calendar.js posts them). Only validates the values; whether the
    time is a free slot is the availability engine's answer (appointments.drag_pages)."""

    doctor = forms.ModelChoiceField(
        Doctor.objects.active().select_related("specialty"),
        error_messages={"invalid_choice": "That doctor cannot take appointments."},
    )
    day = forms.DateField(input_formats=["%Y-%m-%d"])
    time = forms.TimeField(input_formats=["%H:%M"])


class CancelForm(VisibleTextForm, forms.Form):
    reason = forms.CharField(
        label="Why is the appointment cancelled?",
        max_length=255,
        help_text="Required; kept with the appointment's history.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("reason")

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the appointment is cancelled.")
        return reason


class WeekFilterForm(forms.Form):
    """Which doctor's week: `doctors` (already read) are the choices, so no query here."""

    doctor = forms.TypedChoiceField(choices=[])
    week = CalendarDateField(label="Week of")

    def __init__(self, *args, doctors: list[Doctor], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        by_pk = {str(doctor.pk): doctor for doctor in doctors}
        self.fields["doctor"].choices = [(pk, f"{d} · {d.specialty}") for pk, d in by_pk.items()]
        self.fields["doctor"].coerce = by_pk.__getitem__
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(
                Column("doctor", css_class="col-md-5"),
                Column("week", css_class="col-md-3"),
                Column(
                    HTML('<button type="submit" class="btn btn-secondary">Show</button>'),
                    css_class="col-md-2 pt-md-4",
                ),
            )
        )


class DayFilterForm(forms.Form):
    """The day calendar's and the day list's filters: the day and a specialty, one row; the
    calendar's grid or list choice (`view`) and the day list's one doctor ride along unchanged."""

    day = CalendarDateField()
    specialty = forms.ModelChoiceField(
        Specialty.objects.order_by("name"), required=False, empty_label="All specialties"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new specialty shows at once (static/appointments/calendar.js); "Show" without JS.
        self.fields["specialty"].widget.attrs["data-autosubmit"] = ""
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "day-filters d-flex flex-wrap align-items-center gap-2 mb-2"
        self.helper.layout = Layout(
            "day",
            "specialty",
            HTML(
                '{% if view %}<input type="hidden" name="view" value="{{ view }}">{% endif %}'
                '{% if doctor_code %}<input type="hidden" name="doctor" value="{{ doctor_code }}">'
                "{% endif %}"
                '<button type="submit" class="btn btn-secondary btn-sm">Show</button>'
            ),
        )
