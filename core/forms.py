"""Form pieces every app may use."""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator


class CalendarDateField(forms.DateField):
    """A day to show or to search from, as a date input. The calendars and the slot picker
    add days and weeks to it, which overflows Python's dates near year 1 or 9999, so a day
    outside these centuries is invalid (a message, or the default day) instead of a 500."""

    default_validators = [
        MinValueValidator(datetime.date(1900, 1, 1)),
        MaxValueValidator(datetime.date(2999, 12, 31)),
    ]

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on `form`: on its field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def form_changes(form: forms.BaseForm, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The cleaned values of the fields the person changed (limited to `fields`)."""
    return {
        name: form.cleaned_data[name]
        for name in form.changed_data
        if name in form.cleaned_data and (fields is None or name in fields)
    }
