"""Form pieces every app may use."""

import datetime

from django import forms
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
