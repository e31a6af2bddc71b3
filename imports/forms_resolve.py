"""The clerk's answers to an upload's conflicts: one choice per conflict listed on the check
page, and one for every conflict of a kind at once (keep all apart, for a workbook whose IDs
happen to look like the system's own numbers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from imports.matching import EVERY, RESOLUTION_LABELS, Resolution, conflict_id

_EVERY_CHOICES = [
    ("", "No: answer each one below"),
    (Resolution.KEEP_BOTH.value, "Keep both: import each as a new record"),
]
KINDS = {"patient": "patients", "doctor": "doctors"}


class ConflictResolutionForm(forms.Form):
    """Fields `conflict_<n>` (the n-th listed conflict) and `every_<kind>`. Only answers the
    conflict offers are valid."""

    def __init__(
        self,
        *args: Any,
        conflicts: Sequence[Mapping[str, Any]],
        chosen: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        chosen = chosen or {}
        self.conflicts = list(conflicts)
        for kind, plural in KINDS.items():
            if any(c["kind"] == kind for c in self.conflicts):
                self.fields[f"every_{kind}"] = forms.ChoiceField(
                    label=f"Keep every conflicting {kind} left unresolved apart?",
                    choices=_EVERY_CHOICES,
                    required=False,
                    widget=forms.Select(attrs={"class": "form-select w-auto"}),
                    initial=chosen.get(conflict_id(kind, EVERY), ""),
                    help_text=f"Applies also to {plural} beyond those listed on this page.",
                )
        for index, conflict in enumerate(self.conflicts):
            self.fields[f"conflict_{index}"] = forms.ChoiceField(
                label=f"{conflict['sheet']} {conflict['key']}",
                choices=[(o, RESOLUTION_LABELS[Resolution(o)]) for o in conflict["options"]],
                widget=forms.RadioSelect,
                initial=chosen.get(conflict["id"], conflict["resolution"]),
            )

    def conflict_fields(self) -> list[tuple[Mapping[str, Any], forms.BoundField]]:
        """Each listed conflict with its field, for the template."""
        return [(c, self[f"conflict_{i}"]) for i, c in enumerate(self.conflicts)]

    def every_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("every_")]

    def resolutions(self) -> dict[str, str]:
        """Conflict id -> answer, for `workbook_upload_resolve`: every answer the clerk gave
        (a conflict left unresolved has none, so the answer for its kind applies)."""
        answers = {
            c["id"]: self.cleaned_data[f"conflict_{i}"]
            for i, c in enumerate(self.conflicts)
            if self.cleaned_data[f"conflict_{i}"] != Resolution.SKIP
        }
        for kind in KINDS:
            every = self.cleaned_data.get(f"every_{kind}")
            if every:
                answers[conflict_id(kind, EVERY)] = every
        return answers
