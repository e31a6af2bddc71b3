"""The visit page's prescription fields: they validate and convert, the service decides (the
allergy check included)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms

from clinical.allergy_forms import AllergyOverride, override_fields
from clinical.prescriptions import DoseUnit, Frequency, Route
from core.forms import VisibleTextForm


class PrescriptionForm(AllergyOverride, VisibleTextForm, forms.Form):
    """One drug of the visit's prescription. Like the visit's item forms, it sits in the
    page's one <form>, so nothing is `required` in HTML; `pending` marks typing not yet added.
    `conflicts` holds the allergies the service stopped it on, shown above the reason field."""

    prefix = "rx"
    use_required_attribute = False
    pending = False
    add_label = "Add to prescription"

    drug = forms.CharField(
        max_length=255,
        help_text="Pick from the price list as you type, or name a drug not on it (unpriced).",
        widget=forms.TextInput(attrs={"list": "rx-drugs", "autocomplete": "off"}),
        error_messages={"required": "Name the drug."},
    )
    dose = forms.DecimalField(min_value=0.001, max_digits=10, decimal_places=3)
    dose_unit = forms.ChoiceField(label="Unit", choices=DoseUnit.choices, initial=DoseUnit.MG)
    route = forms.ChoiceField(choices=Route.choices, initial=Route.ORAL)
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.TID)
    duration_days = forms.IntegerField(label="Days", min_value=1, max_value=3650)
    quantity = forms.IntegerField(
        label="Quantity to dispense",
        min_value=1,
        max_value=10_000,
        help_text="Units; billed at the price list's unit cost.",
    )
    instructions = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The allergy check's override (clinical.allergy_forms).
    override_reason, override_for = override_fields(
        "Reason to prescribe it despite the allergy",
        "Kept on the prescription and in the audit log.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

        def col(name: str, size: str) -> Div:
            return Div(Field(name), css_class=size)

        self.helper.layout = Layout(
            Div(
                col("drug", "col-md-6"),
                col("dose", "col-6 col-md-3"),
                col("dose_unit", "col-6 col-md-3"),
                css_class="row",
            ),
            Div(
                col("route", "col-md-4"),
                col("frequency", "col-md-4"),
                col("duration_days", "col-6 col-md-2"),
                col("quantity", "col-6 col-md-2"),
                css_class="row",
            ),
            Field("instructions"),
        )

    @classmethod
    def typed(cls, data: Mapping[str, Any]) -> PrescriptionForm:
        """The form with what was typed into it and not added (no errors yet), or an empty
        one when nothing was."""
        bound = cls(data)
        if not any(bound.add_prefix(name) in data for name in bound.fields):
            return cls()
        if not bound.has_changed():
            return cls()
        form = cls(initial={name: bound[name].data for name in bound.fields})
        form.pending = True
        return form

    def alert_for(self) -> str:
        """The drug as typed: the one the allergy alert is shown for."""
        return self.cleaned_data.get("drug") or ""
