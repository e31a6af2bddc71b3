"""Forms of the clinical pages: they validate and convert, the services decide."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.utils import timezone

from billing.models import MedicationCost, ProcedureFee
from clinical import drug_classes, selectors
from clinical.allergy_forms import AllergyOverride, override_fields
from clinical.code_picker import Icd10Field
from clinical.models import VisitItem
from core.forms import BoundedDateField, VisibleTextForm
from core.models import AuditEvent
from patients.models import AllergySeverity, HistoryKind, MedicalHistory, Patient

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PageDateField(BoundedDateField):
    """A date a page turns into a day's bounds and steps from (previous / next day)."""


# Per kind: the fields a history entry form shows, and the labels that fit that kind.
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    HistoryKind.CONDITION: ("icd10", "description", "recorded_on", "ended_on"),
    HistoryKind.SURGERY: ("procedure", "description", "recorded_on"),
    HistoryKind.MEDICATION: ("medication", "description", "recorded_on", "ended_on"),
    HistoryKind.ALLERGY: ("description", "reaction", "severity", "drug_class", "recorded_on"),
}
_LABELS: dict[str, dict[str, str]] = {
    HistoryKind.CONDITION: {
        "description": "Condition in words (empty: the code's title)",
        "recorded_on": "Diagnosed on",
        "ended_on": "Resolved on (leave empty while active)",
    },
    HistoryKind.SURGERY: {
        "procedure": "Procedure from the list",
        "description": "Or describe the surgery",
        "recorded_on": "Date of surgery",
    },
    HistoryKind.MEDICATION: {
        "medication": "Medication from the price list",
        "description": "Or name the medication",
        "recorded_on": "Started on",
        "ended_on": "Stopped on (leave empty while current)",
    },
    HistoryKind.ALLERGY: {
        "description": "Substance (drug, food, or other)",
        "recorded_on": "Noted on",
    },
}


class HistoryEntryForm(AllergyOverride, VisibleTextForm, forms.Form):
    """Add a history entry of one kind, or (with `entry`) correct one, with a reason. A
    medication added, or corrected to another drug, is checked against the allergies as a
    prescribed drug is (the service decides), with the same alert and override
    (clinical.allergy_forms)."""

    alert_verb = "recording"
    go_on_label = "Record despite the allergy"

    medication = forms.ModelChoiceField(
        queryset=MedicationCost.objects.none(), required=False, empty_label="— not on the list —"
    )
    procedure = forms.ModelChoiceField(
        queryset=ProcedureFee.objects.none(), required=False, empty_label="— not on the list —"
    )
    description = forms.CharField(max_length=255, required=False)
    quantity = forms.IntegerField(label="Quantity given", min_value=1, max_value=10_000)
    recorded_on = BoundedDateField(widget=DATE_INPUT)
    ended_on = BoundedDateField(widget=DATE_INPUT, required=False)
    icd10 = Icd10Field(
        required=False,
        help_text="Type a word or a code and pick from the list; leave empty to keep the "
        "condition uncoded.",
    )
    # A structured allergy (clinical.drug_classes: the class the prescribing check reads).
    reaction = forms.CharField(
        max_length=255, required=False, help_text="What happens, e.g. hives, anaphylaxis."
    )
    severity = forms.ChoiceField(
        choices=[("", "— not known —"), *AllergySeverity.choices], required=False
    )
    drug_class = forms.ChoiceField(
        label="Drug class (when a drug allergy covers a class)",
        choices=[("", "— none —"), *drug_classes.CHOICES],
        required=False,
        help_text="E.g. penicillins: prescribing any of them is then stopped.",
    )
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=255,
        help_text="Kept with the earlier version, e.g. “wrong dose recorded”.",
    )
    override_reason, override_for = override_fields(
        "Reason to record it despite the allergy",
        "Kept with the history entry and in the audit log.",
    )

    def __init__(
        self, *args: Any, kind: str, entry: MedicalHistory | None = None, **kwargs: Any
    ) -> None:
        if entry is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "medication": entry.medication_id,
                "procedure": entry.procedure_id,
                "description": entry.description,
                "quantity": entry.quantity,
                "recorded_on": entry.recorded_on,
                "ended_on": entry.ended_on,
                "icd10": entry.icd10_id,
                "reaction": entry.reaction,
                "severity": entry.severity,
                "drug_class": entry.drug_class,
            }
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.entry = entry
        self.content_fields = _KIND_FIELDS[kind]
        if entry is not None and entry.kind == HistoryKind.MEDICATION and entry.attendance_id:
            # A medication given at a visit carries the quantity that is billed.
            self.content_fields = (*self.content_fields[:2], "quantity", *self.content_fields[2:])
        shown = self.content_fields + (("reason",) if entry is not None else ())
        # The override's fields are shown by the allergy alert (clinical/_allergy_alert.html).
        checked = ("override_reason", "override_for") if self.checks_allergies else ()
        for name in list(self.fields):
            if name not in shown + checked:
                del self.fields[name]
        for name, label in _LABELS[kind].items():
            self.fields[name].label = label
        if "medication" in self.fields:
            self.fields["medication"].queryset = selectors.medication_choices()
        if "procedure" in self.fields:
            self.fields["procedure"].queryset = selectors.procedure_choices()
        if entry is None:
            self.fields["recorded_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page writes it: it guards unsaved changes
        self.helper.layout = Layout(*shown)
        self.helper.add_input(
            Submit("save", "Save correction" if entry is not None else "Add to history")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        description = (data.get("description") or "").strip()
        picked = data.get("medication") or data.get("procedure")
        if picked is not None:
            # An entry picked from a list carries the list's name, so counts and bills match.
            description = picked.name
        elif not description and data.get("icd10") is not None:
            description = data["icd10"].title  # a coded condition, not put in words
        if not description:
            self.add_error("description", "Describe the entry.")
        data["description"] = description
        recorded_on, ended_on = data.get("recorded_on"), data.get("ended_on")
        if recorded_on and recorded_on > timezone.localdate():
            self.add_error("recorded_on", "This date is in the future.")
        if recorded_on and ended_on and ended_on < recorded_on:
            self.add_error("ended_on", "It cannot end before it began.")
        return data

    def entry_data(self) -> dict[str, Any]:
        """The entry's content from the form: what the service stores or corrects (a
        correction's override reason goes apart: `override_reason_given`)."""
        data = {name: self.cleaned_data.get(name) for name in self.content_fields}
        if self.checks_allergies and self.entry is None:
            data["override_reason"] = self.override_reason_given()
        return data

    def override_reason_given(self) -> str:
        """The reason typed to go on despite the allergy: only when the alert was shown for
        this drug (AllergyOverride), else empty."""
        if not self.checks_allergies:
            return ""
        return self.service_data()["override_reason"]

    @property
    def checks_allergies(self) -> bool:
        """A medication added or corrected is checked against the patient's allergies (a
        correction only when it changes the drug: the service decides)."""
        return self.kind == HistoryKind.MEDICATION

    def stopped_by(self, allergies: list[MedicalHistory]) -> None:
        """Show the allergy alert the service stopped the entry on, the button to go on."""
        self.conflicts = allergies
        self.helper.inputs[0].value = (
            self.go_on_label if self.entry is None else "Save correction despite the allergy"
        )

    def alert_for(self) -> str:
        """The medication as it would be recorded: the drug the allergy alert is shown for."""
        return self.cleaned_data.get("description") or ""


class VisitNotesForm(VisibleTextForm, forms.Form):
    concerns = forms.CharField(
        label="Concerns (in the patient's words)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    symptoms = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    diagnosis = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One diagnosis per line; each is added to the patient's conditions when "
        "the visit is completed.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        # The page writes the <form> tag: it has two buttons posting to two addresses.
        self.helper.form_tag = False


class VisitItemForm(VisibleTextForm, forms.Form):
    """The fields behind one "Add …" button of the visit page.

    The page is one <form> whose buttons post to several addresses, so no item field is
    `required` in HTML (it would stop every other button while it is empty): the server checks,
    and shows the errors beside the item's fields. `pending` is set on a form that shows typing
    not yet added to the visit.
    """

    kind: str
    heading: str  # of its section of the page
    add_label: str  # its button
    use_required_attribute = False
    pending = False

    def service_data(self) -> dict[str, Any]:
        """The service's arguments (a valid form's)."""
        return dict(self.cleaned_data)

    @classmethod
    def typed(cls, data: Mapping[str, Any]) -> VisitItemForm:
        """The form with what was typed into it and not added (no errors: nobody asked to add
        it yet), or an empty one when nothing was."""
        bound = cls(data)
        if not any(bound.add_prefix(name) in data for name in bound.fields):
            return cls()
        if not bound.has_changed():
            return cls()
        form = cls(initial={name: bound[name].data for name in bound.fields})
        form.pending = True
        return form


class MedicationGivenForm(AllergyOverride, VisitItemForm):
    """A medication given at the visit: checked against the allergies as a prescribed drug is
    (the service decides), with the same alert and override (clinical.allergy_forms)."""

    prefix = "med"
    kind = VisitItem.Kind.MEDICATION
    heading = "Medications given"
    add_label = "Add medication"
    alert_verb = "giving"
    go_on_label = "Give despite the allergy"

    medication = forms.ModelChoiceField(
        queryset=MedicationCost.objects.none(),
        empty_label="— choose a medication —",
        error_messages={"required": "Choose the medication given."},
    )
    quantity = forms.IntegerField(min_value=1, max_value=10_000, initial=1)
    override_reason, override_for = override_fields(
        "Reason to give it despite the allergy",
        "Kept with the visit's record and in the audit log.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["medication"].queryset = selectors.medication_choices()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(
                Div(Field("medication"), css_class="col-md-8"),
                Div(Field("quantity"), css_class="col-md-4"),
                css_class="row",
            )
        )

    def alert_for(self) -> str:
        """The medication picked (its id): the one the allergy alert is shown for."""
        medication = self.cleaned_data.get("medication")
        return str(medication.pk) if medication is not None else ""

    def alert_drug(self) -> str:
        medication = self.cleaned_data.get("medication")
        return medication.name if medication is not None else ""


class ProcedurePerformedForm(VisitItemForm):
    prefix = "proc"
    kind = VisitItem.Kind.SURGERY
    heading = "Surgeries and procedures performed"
    add_label = "Add procedure"

    procedure = forms.ModelChoiceField(
        label="Surgery or procedure from the list",
        queryset=ProcedureFee.objects.none(),
        required=False,
        empty_label="— not on the list —",
    )
    description = forms.CharField(label="Or describe it", max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = selectors.procedure_choices()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("procedure") and not (data.get("description") or "").strip():
            raise forms.ValidationError("Pick the procedure from the list or describe it.")
        return data


class ConditionFoundForm(VisitItemForm):
    prefix = "cond"
    kind = VisitItem.Kind.CONDITION
    heading = "Conditions found"
    add_label = "Add condition"

    icd10 = Icd10Field(
        required=False,
        help_text="Type a word or a code and pick from the list; or only describe it below "
        "(kept uncoded).",
    )
    description = forms.CharField(
        label="Condition",
        max_length=255,
        required=False,
        help_text="In words; empty, the code's title. Added to the patient's conditions when "
        "the visit is completed.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "icd10" in self.errors:
            return data
        if data.get("icd10") is None and not (data.get("description") or "").strip():
            self.add_error("description", "Name the condition. Or pick its ICD-10-CM code above.")
        return data


class HistoryCodeForm(VisibleTextForm, forms.Form):
    """The code of a condition ("Code it"): the correction's reason names the code."""

    icd10 = Icd10Field(
        help_text="Type a word (asthma) or a code (J45) and pick from the list.",
        error_messages={"required": "Pick the condition's code."},
    )

    def __init__(self, *args: Any, entry: MedicalHistory, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"icd10": entry.icd10_id})
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("save", "Save the code"))


# The item forms of the visit page by the kind of item they add.
VISIT_ITEM_FORMS: dict[str, type[VisitItemForm]] = {
    form.kind: form for form in (MedicationGivenForm, ProcedurePerformedForm, ConditionFoundForm)
}


class DayForm(forms.Form):
    """Which day (and whose day) the doctor's day page shows."""

    day = PageDateField(widget=DATE_INPUT, required=False)
    doctor = forms.ModelChoiceField(
        queryset=selectors.doctors_for_picker(), required=False, empty_label="— my own day —"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "d-flex flex-wrap align-items-end column-gap-2"
        self.helper.layout = Layout(
            Field("day", wrapper_class="mb-0"),
            Field("doctor", wrapper_class="mb-0"),
            Submit("show", "Show", css_class="btn-secondary"),
        )

    def clean_day(self) -> datetime.date:
        return self.cleaned_data.get("day") or timezone.localdate()


class AuditFilterForm(VisibleTextForm, forms.Form):
    user = forms.CharField(label="User name", required=False, max_length=150)
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=20)
    date_from = PageDateField(label="From", widget=DATE_INPUT, required=False)
    date_to = PageDateField(label="To", widget=DATE_INPUT, required=False)
    action = forms.ChoiceField(
        choices=[("", "Any action"), *AuditEvent.Action.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Div(
                *(Div(Field(name), css_class="col-sm-6 col-lg") for name in self.fields),
                css_class="row align-items-end",
            )
        )
        self.helper.add_input(Submit("filter", "Filter", css_class="btn-secondary"))

    def clean_mrn(self) -> Patient | None:
        mrn = self.cleaned_data["mrn"].strip()
        if not mrn:
            return None
        patient = Patient.objects.filter(mrn__iexact=mrn).first()
        if patient is None:
            raise forms.ValidationError("No patient has this MRN.")
        return patient

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the range comes before its start.")
        return data

    def as_query(self) -> dict[str, str]:
        """The filters of a valid form that are set, as text (e.g. for the audit row of an
        export)."""
        values = {**self.cleaned_data, "mrn": getattr(self.cleaned_data.get("mrn"), "mrn", "")}
        return {name: str(values[name]) for name in self.fields if values.get(name)}

    def filters(self) -> selectors.AuditFilters:
        """The filters of a valid form (call `is_valid()` first)."""
        data = self.cleaned_data
        return selectors.AuditFilters(
            username=data.get("user", ""),
            patient=data.get("mrn"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            action=data.get("action", ""),
        )
