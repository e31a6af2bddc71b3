"""The vital-signs fields of the visit page. They convert what was typed into numbers; the
ranges and the blood-pressure rules are clinical.vitals.check's, run by the service, so the
form, the service and the database say the same thing."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms

from clinical.forms import VisitItemForm
from clinical.vitals import ENTERED, Vital

EXAMPLES = {
    "systolic": "128",
    "diastolic": "82",
    "pulse": "72",
    "temperature": "37.2",
    "respiratory_rate": "16",
    "spo2": "98",
    "weight": "70.5",
    "height": "172",
}


def _field(vital: Vital) -> forms.Field:
    label = f"{vital.label} ({vital.unit})"
    if vital.decimals == 0:
        invalid = (
            f"Enter the {vital.label.lower()} as a whole number, e.g. {EXAMPLES[vital.field]}."
        )
        field: forms.Field = forms.IntegerField(
            label=label, required=False, error_messages={"invalid": invalid}
        )
        step = "1"
    else:
        invalid = f"Enter the {vital.label.lower()} as a number, e.g. {EXAMPLES[vital.field]}."
        field = forms.DecimalField(
            label=label,
            required=False,
            max_digits=6,
            decimal_places=vital.decimals,
            error_messages={
                "invalid": invalid,
                "max_decimal_places": f"Enter the {vital.label.lower()} with at most "
                f"{vital.decimals} decimal, e.g. {EXAMPLES[vital.field]}.",
                "max_digits": invalid,
                "max_whole_digits": invalid,
            },
        )
        step = "0.1"
    # Hints for the keyboard only: the page does not let the browser refuse (novalidate); the
    # service says what to fix.
    # A text box (not type=number, which empties itself on a slip such as "37,2"): what was
    # typed comes back as typed, beside the message. The keypad is numeric.
    field.widget = forms.TextInput(
        attrs={"inputmode": "decimal" if step != "1" else "numeric", "autocomplete": "off"}
    )
    return field


class VitalsForm(VisitItemForm):
    prefix = "vit"
    kind = "vitals"
    heading = "Vital signs"
    add_label = "Record vital signs"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for vital in ENTERED:
            self.fields[vital.field] = _field(vital)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(
                *(Div(Field(v.field), css_class="col-6 col-md-3") for v in ENTERED),
                css_class="row g-2",
            )
        )
