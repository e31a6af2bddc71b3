"""The allergy override's fields, shared by the forms that give a patient a drug (a
prescription's drug, a medication given at the visit): the reason typed to go on, and the drug
the alert was shown for, so a reason typed for one drug never lets another through."""

from __future__ import annotations

from typing import Any

from django import forms


def override_fields(label: str, help_text: str) -> tuple[forms.CharField, forms.CharField]:
    """The form's `override_reason` and `override_for` (declare both on the form)."""
    return (
        forms.CharField(label=label, required=False, max_length=500, help_text=help_text),
        forms.CharField(required=False, max_length=255, widget=forms.HiddenInput),
    )


class AllergyOverride:
    """What the visit page's allergy alert (clinical/_allergy_alert.html) needs of a form:
    `conflicts`, the allergies the service stopped it on; `alert_for()`, the drug the alert
    is shown for (sent back as `override_for`); `alert_drug()`, its name as shown."""

    alert_verb = "prescribing"  # "Allergy: check before prescribing …"
    go_on_label = "Prescribe despite the allergy"  # the add button once the alert is shown
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflicts: list = []

    def alert_for(self) -> str:
        raise NotImplementedError

    def alert_drug(self) -> str:
        """The drug's name as the alert shows it: by default as typed (`alert_for`)."""
        return self.alert_for()

    def alert_was_shown(self) -> bool:
        """Whether the page already showed the allergy alert for the drug now sent."""
        shown_for = self.cleaned_data.get("override_for") or ""
        return bool(shown_for) and _same(shown_for, self.alert_for())

    def service_data(self) -> dict[str, Any]:
        """The service's arguments; the reason only when the alert was shown for this drug."""
        data = dict(self.cleaned_data)
        data.pop("override_for", None)
        if not self.alert_was_shown():
            data["override_reason"] = ""
        return data


def _same(one: str, other: str) -> bool:
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()
