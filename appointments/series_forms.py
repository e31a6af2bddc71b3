"""Forms of recurring series: the booking page's "Repeat" (every N weeks on the chosen slot's
weekday and time, a number of times or until a date), the desk's decision for each occurrence
that clashes, and the change of a series from one of its appointments."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from appointments.series_plan import MAX_OCCURRENCES, weekly_rule
from appointments.series_services import SCOPES
from core.forms import BoundedDateTimeField, CalendarDateField

EVERY_CHOICES = [(1, "week"), (2, "2 weeks"), (3, "3 weeks"), (4, "4 weeks")]
END_CHOICES = [("count", "after a number of appointments"), ("until", "on a date")]


class RepeatForm(forms.Form):
    """The booking page's "Repeat" fields (rendered by appointments/_series_repeat.html)."""

    repeat = forms.BooleanField(label="Repeat this appointment", required=False)
    repeat_weeks = forms.TypedChoiceField(
        label="Every", choices=EVERY_CHOICES, coerce=int, initial=1, required=False
    )
    repeat_end = forms.ChoiceField(
        label="Ends", choices=END_CHOICES, initial="count", required=False
    )
    repeat_count = forms.IntegerField(
        label="Number of appointments",
        min_value=2,
        max_value=MAX_OCCURRENCES,
        initial=10,
        required=False,
        help_text=f"At most {MAX_OCCURRENCES}.",
    )
    repeat_until = CalendarDateField(label="Last day")

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("repeat"):
            return data
        if data.get("repeat_end") == "until":
            if not data.get("repeat_until"):
                self.add_error("repeat_until", "Give the series' last day.")
        elif not data.get("repeat_count"):
            self.add_error("repeat_count", "Give the number of appointments (2 or more).")
        return data

    def rule(self) -> str:
        """The RFC 5545 rule of the valid form."""
        data = self.cleaned_data
        weeks = data.get("repeat_weeks") or 1
        if data.get("repeat_end") == "until":
            return weekly_rule(weeks=weeks, until=data["repeat_until"])
        return weekly_rule(weeks=weeks, count=data["repeat_count"])


def _aware(raw: str) -> datetime.datetime | None:
    try:
        moment = parse_datetime(raw or "")
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def occurrence_decisions(
    data: Mapping[str, str],
) -> tuple[set[datetime.datetime], dict[datetime.datetime, datetime.datetime]]:
    """The desk's choices for occurrences, from `occurrence-<n>` radios: "alt|<wanted>|<start>"
    (book the proposed or chosen time instead), "skip|<wanted>", "other|<wanted>" with the time
    typed in `occurrence-<n>-other`. Returns (skipped wanted starts, wanted → chosen start).
    Whatever is chosen is checked again by the plan and the booking."""
    skip: set[datetime.datetime] = set()
    moves: dict[datetime.datetime, datetime.datetime] = {}
    for name, value in data.items():
        if not name.startswith("occurrence-") or name.endswith("-other"):
            continue
        kind, _, rest = (value or "").partition("|")
        wanted_raw, _, start_raw = rest.partition("|")
        wanted = _aware(wanted_raw)
        if wanted is None:
            continue
        if kind == "skip":
            skip.add(wanted)
        elif kind == "alt" and (start := _aware(start_raw)) is not None:
            moves[wanted] = start
        elif kind == "other" and (start := _aware(data.get(f"{name}-other", ""))) is not None:
            moves[wanted] = start
    return skip, moves


class SeriesChangeForm(forms.Form):
    """Cancel or move appointments of a series, from one of them."""

    action = forms.ChoiceField(choices=[("cancel", "Cancel"), ("move", "Move")])
    scope = forms.ChoiceField(
        label="Which appointments", choices=list(SCOPES.items()), widget=forms.RadioSelect
    )
    reason = forms.CharField(label="Why are they cancelled?", max_length=255, required=False)
    start = BoundedDateTimeField(
        label="New date and time of this appointment",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "cancel" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the appointments are cancelled.")
        if data.get("action") == "move" and not data.get("start"):
            self.add_error("start", "Give the new date and time.")
        return data


FREQUENCY_CHOICES = [("WEEKLY", "week(s)"), ("DAILY", "day(s)"), ("MONTHLY", "month(s)")]
WEEKDAY_CHOICES = [
    ("MO", "Monday"),
    ("TU", "Tuesday"),
    ("WE", "Wednesday"),
    ("TH", "Thursday"),
    ("FR", "Friday"),
    ("SA", "Saturday"),
    ("SU", "Sunday"),
]


class SeriesRuleForm(forms.Form):
    """A new repeat rule for a series from one of its appointments on: its first date and
    time, every N days, weeks (on some weekdays) or months, a number of times or until a day
    (rendered by appointments/series_rule.html)."""

    start = BoundedDateTimeField(
        label="First appointment of the new rule",
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Its weekday and time are the series' from then on.",
    )
    interval = forms.IntegerField(label="Every", min_value=1, max_value=52, initial=1)
    frequency = forms.ChoiceField(label="Unit", choices=FREQUENCY_CHOICES, initial="WEEKLY")
    weekdays = forms.MultipleChoiceField(
        label="On (weekly only)",
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the first appointment's weekday.",
    )
    end = forms.ChoiceField(label="Ends", choices=END_CHOICES, initial="count")
    count = forms.IntegerField(
        label="Number of appointments",
        min_value=1,
        max_value=MAX_OCCURRENCES,
        required=False,
        help_text=f"From the first one of the new rule; at most {MAX_OCCURRENCES}.",
    )
    until = CalendarDateField(label="Last day")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("end") == "until":
            if not data.get("until"):
                self.add_error("until", "Give the series' last day.")
            elif data.get("start") and data["until"] < data["start"].date():
                self.add_error("until", "The last day comes after the first appointment.")
        elif data.get("end") == "count" and not data.get("count"):
            self.add_error("count", "Give the number of appointments.")
        if data.get("weekdays") and data.get("frequency") != "WEEKLY":
            self.add_error("weekdays", "Weekdays go with a weekly rule only.")
        return data

    def rule(self) -> str:
        """The RFC 5545 rule of the valid form."""
        data = self.cleaned_data
        parts = [f"FREQ={data['frequency']}"]
        if data["interval"] != 1:
            parts.append(f"INTERVAL={data['interval']}")
        if data.get("weekdays"):
            order = [code for code, _ in WEEKDAY_CHOICES]
            parts.append("BYDAY=" + ",".join(sorted(data["weekdays"], key=order.index)))
        if data["end"] == "until":
            parts.append(f"UNTIL={data['until']:%Y%m%d}T235959")
        else:
            parts.append(f"COUNT={data['count']}")
        return ";".join(parts)
