"""Forms of the front desk's patient pages. They validate; services write."""

from __future__ import annotations

from crispy_forms.bootstrap import FormActions
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils import timezone

from core.forms import BoundedDateField, VisibleTextForm
from core.params import record_id
from patients import ages
from patients.models import Patient
from patients.services import PATIENT_FIELDS

# The booking choices a link may carry into the booking page (and through the patient search).
BOOKING_KEYS = ("doctor", "specialty", "from_date", "length")


class PatientSearchForm(forms.Form):
    """The one search box. Without JavaScript it is a plain GET form; with htmx the results
    are replaced as the clerk types (the same view sends only the results partial)."""

    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        help_text="MRN, name (part of it is enough, accents and small typos are fine), "
        "phone, or date of birth.",
    )
    inactive = forms.BooleanField(label="Include deactivated patients", required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)
    pick = forms.CharField(required=False, widget=forms.HiddenInput)
    # Booking choices made before the patient (a free cell of the calendar), passed on.
    book = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget = forms.TextInput(
            attrs={
                "type": "search",
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-controls": "patient-results",
                "placeholder": "e.g. P0001234, maria gonzalez, 555-0134, 1984-03-12",
            }
        )
        url = reverse("patients:patient_list")
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = url
        self.helper.form_id = "patient-search"
        self.helper.attrs = {
            "role": "search",
            "hx-get": url,
            "hx-target": "#patient-results",
            "hx-trigger": "submit, input delay:300ms from:#id_q, change from:#id_inactive",
            "hx-push-url": "true",
            "hx-sync": "this:replace",
        }
        self.helper.layout = Layout(
            Row(
                Column("q", css_class="col-md-7"),
                Column("inactive", css_class="col-md-3 pt-md-4"),
                Column(Submit("search", "Search"), css_class="col-md-2 pt-md-4"),
            ),
            "pick",
            "book",
        )


class PatientForm(VisibleTextForm, forms.ModelForm):
    """Demographics of a patient: registration and edit. The MRN is assigned by the service.

    "Age (years)" is for a patient whose date of birth is unknown: it sets an estimated date of
    birth (`patients.ages.estimated_birth_date`, the import's rule too) marked as estimated.
    Given with a date of birth, the two must agree."""

    date_of_birth = BoundedDateField(label="Date of birth", required=False)
    age = forms.IntegerField(
        label="Age (years)",
        required=False,
        min_value=0,
        max_value=ages.OLDEST_AGE,
        help_text="When the date of birth is unknown: sets an estimated one.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, submit_label: str = "Save", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["date_of_birth"].help_text = "Leave empty when unknown (give the age)."
        self.fields["dob_is_estimated"].help_text = (
            "Ticked by itself when the date comes from the age; tick it for a date known only "
            "roughly."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Identity",
                Row(Column("first_name"), Column("last_name")),
                Row(
                    Column("date_of_birth", css_class="col-sm"),
                    Column("age", css_class="col-sm"),
                    Column("sex", css_class="col-sm"),
                ),
                "dob_is_estimated",
            ),
            Fieldset("Contact", Row(Column("phone"), Column("email")), "messages_opt_out"),
            Fieldset(
                "Address",
                "address_line1",
                "address_line2",
                Row(Column("city"), Column("region")),
                Row(Column("postal_code"), Column("country")),
            ),
            Fieldset(
                "Emergency contact",
                Row(
                    Column("emergency_contact_name"),
                    Column("emergency_contact_phone"),
                    Column("emergency_contact_relationship"),
                ),
            ),
            FormActions(Submit("save", submit_label)),
        )

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future.")
        return born

    def clean(self) -> dict:
        cleaned = super().clean()
        age = cleaned.get("age")
        if age is None or "date_of_birth" in self.errors:
            return cleaned
        born, today = cleaned.get("date_of_birth"), timezone.localdate()
        if born is None:
            cleaned["date_of_birth"] = ages.estimated_birth_date(age, today)
            cleaned["dob_is_estimated"] = True
        elif ages.age_on(born, today) != age:
            self.add_error(
                "age",
                f"The date of birth {born:%Y-%m-%d} makes the patient "
                f"{ages.age_on(born, today)} years old, not {age}. Correct one of them, or "
                "leave the age empty to keep the date.",
            )
        return cleaned

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_phone(self) -> str:
        return " ".join(self.cleaned_data["phone"].split())

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in PATIENT_FIELDS}


class DuplicateConfirmForm(forms.Form):
    """ "Not the same person": the clerk has looked at the likely duplicates listed."""

    not_duplicate = forms.BooleanField(
        label="I checked these records: none of them is this patient.", required=False
    )
    reviewed = forms.CharField(required=False, widget=forms.HiddenInput)

    def reviewed_ids(self) -> set[int]:
        raw = self.cleaned_data.get("reviewed", "") if self.is_valid() else ""
        return {pk for part in raw.split(",") if (pk := record_id(part.strip())) is not None}

    def confirms(self, duplicates) -> bool:
        """True when the clerk ticked the box for exactly (at least) these duplicates."""
        if not self.is_valid() or not self.cleaned_data["not_duplicate"]:
            return False
        return {p.pk for p in duplicates} <= self.reviewed_ids()
