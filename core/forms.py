"""Form pieces every app may use."""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.dates import EARLIEST, LATEST, RANGE_MESSAGE
from core.validators import VisibleTextValidator


class BoundedDateField(forms.DateField):
    """A date from 1900 to 2999 (core.dates): every date a form takes goes through it, so no
    page meets Python's years 1 and 9999, where adding a day overflows. `min_value` and
    `max_value` narrow the range for a field whose real range is smaller."""

    def __init__(
        self,
        *,
        min_value: datetime.date = EARLIEST,
        max_value: datetime.date = LATEST,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
        self.min_value, self.max_value = min_value, max_value
        self.widget.attrs.setdefault("min", min_value.isoformat())
        self.widget.attrs.setdefault("max", max_value.isoformat())

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value is None:
            return
        if value < self.min_value or value > self.max_value:
            if (self.min_value, self.max_value) == (EARLIEST, LATEST):
                raise ValidationError(RANGE_MESSAGE, code="date_range")
            raise ValidationError(
                "Enter a date from %(min)s to %(max)s.",
                code="date_range",
                params={"min": f"{self.min_value:%d %b %Y}", "max": f"{self.max_value:%d %b %Y}"},
            )


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time whose day lies from 1900 to 2999 (core.dates), as BoundedDateField."""

    def validate(self, value: datetime.datetime | None) -> None:
        super().validate(value)
        if value is not None and not EARLIEST <= value.date() <= LATEST:
            raise ValidationError(RANGE_MESSAGE, code="date_range")


class CalendarDateField(BoundedDateField):
    """A day to show or to search from, as a date input. The calendars and the slot picker
    add days and weeks to it; a day outside the bounded range is invalid (a message, or the
    default day) instead of a 500."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
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


class VisibleTextForm:
    """A form mixin (first among the bases): every text field refuses characters a person
    cannot see (core.validators.VisibleTextValidator; new lines only in a text area), with a
    message on the field. Passwords are left as they are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(
                field.widget, forms.PasswordInput
            ):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(VisibleTextValidator(multiline=multiline))


# A POST form whose typing would be lost by leaving the page asks first (static/core/unsaved.js):
# `helper.attrs = dict(GUARD_UNSAVED)` on a crispy form that writes its own <form> tag; a
# template writes `data-guard-unsaved` itself. GUARD_CHANGED in a layout marks a form shown again
# with its errors, whose typing the server sent back but did not save.
GUARD_UNSAVED = {"data-guard-unsaved": ""}
GUARD_CHANGED = "{% if form.errors %}<span hidden data-guard-changed></span>{% endif %}"
