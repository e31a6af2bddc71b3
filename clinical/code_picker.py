"""The ICD-10-CM code picker of the clinical forms: a text field that takes a code, with
suggestions as one types a word or a code (htmx: clinical:icd10_suggestions, keyboard in
static/clinical/code_picker.js).

Without JavaScript the field still takes a code typed in full ("J45.909" or "j45909"). What
was typed is sent back as it was when the form is shown again, picked or not.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from patients.icd10 import Icd10Code, code_prefix


class Icd10PickerWidget(forms.TextInput):
    template_name = "clinical/widgets/code_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "placeholder": "A word (asthma) or a code (J45)",
                "class": "form-control",
                "data-code-picker": "",
                **(attrs or {}),
            }
        )

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Icd10Code):
            return value.code
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        element_id = widget["attrs"].get("id") or f"id_{name}"
        widget["attrs"].update(
            {
                "aria-controls": f"{element_id}-suggestions",
                "hx-get": reverse("clinical:icd10_suggestions"),
                "hx-trigger": "input changed delay:200ms, search",
                "hx-target": f"#{element_id}-suggestions",
                "hx-sync": "this:replace",
                "hx-vals": f'{{"field": "{name}"}}',
            }
        )
        typed = widget["value"] or ""
        prefix = code_prefix(typed)
        found = Icd10Code.objects.filter(pk=prefix).first() if prefix else None
        widget["element_id"] = element_id
        widget["picked"] = found
        return context

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        # The project's template engine (templates/), not the form renderer's own.
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))


class Icd10Field(forms.CharField):
    """A billable ICD-10-CM code, typed or picked: cleans to an `Icd10Code`, or None when
    left empty (the condition stays uncoded)."""

    widget = Icd10PickerWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "ICD-10-CM code")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.code if isinstance(value, Icd10Code) else value

    def to_python(self, value: Any) -> Icd10Code | None:  # type: ignore[override]
        if isinstance(value, Icd10Code):
            return value
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        if len(text) > 255:
            raise forms.ValidationError("Type a word or a code.", code="too_long")
        prefix = code_prefix(text)
        code = Icd10Code.objects.filter(pk=prefix).first() if prefix else None
        if code is not None:
            return code
        if prefix is not None:
            raise forms.ValidationError(
                f"{prefix} is not a billable ICD-10-CM code: pick a more specific code from "
                "the suggestions.",
                code="not_billable",
            )
        raise forms.ValidationError(
            "Pick a code from the suggestions (type a word or a code), or leave it empty to "
            "keep the condition uncoded.",
            code="not_a_code",
        )

    def has_changed(self, initial: Any, data: Any) -> bool:
        initial = initial.code if isinstance(initial, Icd10Code) else (initial or "")
        return str(initial).strip() != str(data or "").strip()
