"""Billing forms: they validate and convert; the services decide."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Layout, Row, Submit
from django import forms
from django.utils import timezone

from billing import services
from billing.models import BillingSettings, MedicationCost, PaymentMethod, ProcedureFee
from billing.selectors import STATUS_FILTERS
from core.forms import GUARD_CHANGED, GUARD_UNSAVED, BoundedDateField, VisibleTextForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_ATTRS = {"inputmode": "decimal", "step": "0.01", "min": "0.01"}


def _filter_helper(*fields: str, submit: str = "Filter") -> FormHelper:
    helper = FormHelper()
    helper.form_method = "get"
    helper.form_class = "mb-3"
    helper.disable_csrf = True
    helper.layout = Layout(
        Row(
            *(Column(name, css_class="col-sm-6 col-lg") for name in fields),
            Column(Submit("", submit, css_class="mt-sm-4"), css_class="col-auto"),
            css_class="align-items-end",
        )
    )
    return helper


class Button(Submit):
    """A submit button in one Bootstrap style (crispy's Submit always adds btn-primary)."""

    def __init__(self, name: str, value: str, *, style: str = "btn-primary", **kwargs: Any):
        super().__init__(name, value, **kwargs)
        self.field_classes = f"btn {style}"


def _post_helper(action: str, submit: str, *, css_class: str = "btn-primary") -> FormHelper:
    helper = FormHelper()
    helper.form_action = action
    helper.attrs = dict(GUARD_UNSAVED)
    helper.add_input(Button("submit", submit, style=css_class))
    return helper


# --- Filters -------------------------------------------------------------------------------


class ReadyToBillFilterForm(VisibleTextForm, forms.Form):
    q = forms.CharField(label="Patient name or MRN", required=False, max_length=100)
    since = BoundedDateField(label="Items since", required=False, widget=DATE)
    unpriced = forms.BooleanField(label="Only with unpriced medications", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _filter_helper("q", "since", "unpriced")


STATUS_CHOICES = [
    ("", "Any status"),
    ("draft", "Draft"),
    ("open", "Issued, not paid in full"),
    ("unpaid", "Unpaid"),
    ("partly_paid", "Partly paid"),
    ("paid", "Paid"),
    ("void", "Void"),
]
assert {c for c, _ in STATUS_CHOICES if c} == set(STATUS_FILTERS)


class InvoiceFilterForm(VisibleTextForm, forms.Form):
    q = forms.CharField(label="Number, patient name or MRN", required=False, max_length=100)
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    date_from = BoundedDateField(label="From", required=False, widget=DATE)
    date_to = BoundedDateField(label="To", required=False, widget=DATE)
    overdue = forms.BooleanField(label="Overdue only", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _filter_helper("q", "status", "date_from", "date_to", "overdue")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError("The end date is before the start date.")
        return cleaned


class PriceSearchForm(VisibleTextForm, forms.Form):
    q = forms.CharField(label="Search by name", required=False, max_length=100)
    inactive = forms.BooleanField(label="Show deactivated", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _filter_helper("q", "inactive", submit="Search")


# --- Draft review --------------------------------------------------------------------------


class InvoiceLineForm(VisibleTextForm, forms.Form):
    KIND_CHOICES = [("other", "Other charge"), ("discount", "Discount")]

    kind = forms.ChoiceField(label="Line", choices=KIND_CHOICES, initial="other")
    description = forms.CharField(
        label="Description or reason", max_length=200, help_text="A discount needs its reason."
    )
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(action, "Add line", css_class="btn-outline-primary")


class DueDateForm(VisibleTextForm, forms.Form):
    due_date = BoundedDateField(label="Due date", widget=DATE, required=False)

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(action, "Set due date", css_class="btn-outline-secondary")


class InvoiceIssueForm(VisibleTextForm, forms.Form):
    """The confirmation of issuing: the line count and total the clerk was shown come back
    hidden (issuing refuses a draft that no longer matches them), and issuing with unpriced
    medications (billed at 0.00) needs a tick, so it is a choice."""

    confirmed_total = forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)
    confirmed_lines = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    confirm_unpriced = forms.BooleanField(
        label="Issue with the unpriced medications at 0.00", required=False
    )

    def __init__(self, *args: Any, unpriced: int = 0, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unpriced = unpriced
        if not unpriced:
            del self.fields["confirm_unpriced"]
        self.helper = _post_helper(action, "Issue invoice")
        self.helper.form_id = "issue-form"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.unpriced and not cleaned.get("confirm_unpriced"):
            raise forms.ValidationError(
                f"{self.unpriced} medication line(s) are unpriced: add them to the price list "
                "and refresh the draft, or tick the box to bill them at 0.00."
            )
        return cleaned


class InvoiceVoidForm(VisibleTextForm, forms.Form):
    reason = forms.CharField(label="Reason", max_length=255)

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(action, "Void invoice", css_class="btn-outline-danger")


class PaymentForm(VisibleTextForm, forms.Form):
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    # Money held on the patient's account is used with its own button (AccountApplyForm).
    method = forms.ChoiceField(
        label="Method",
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.ACCOUNT],
    )
    received_on = BoundedDateField(label="Received on", widget=DATE)
    reference = forms.CharField(label="Reference", max_length=100, required=False)

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(action, "Record payment")

    def received_at(self) -> datetime.datetime:
        """Today: now; an earlier day: noon of that day (the time is not asked for)."""
        day = self.cleaned_data["received_on"]
        now = timezone.localtime()
        if day == now.date():
            return now
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("A payment cannot be received in the future.")
        return day


# --- Price lists and settings --------------------------------------------------------------


class MedicationCostForm(VisibleTextForm, forms.ModelForm):
    class Meta:
        model = MedicationCost
        fields = services.MEDICATION_COST_FIELDS
        labels = {"is_active": "Active (offered when recording medications)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form carries `next` as well
        self.helper.add_input(Submit("submit", "Save"))


class ProcedureFeeForm(VisibleTextForm, forms.ModelForm):
    class Meta:
        model = ProcedureFee
        fields = services.PROCEDURE_FEE_FIELDS
        labels = {"is_active": "Active (offered when recording procedures)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form carries `next` as well
        self.helper.add_input(Submit("submit", "Save"))


class BillingSettingsForm(VisibleTextForm, forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = services.BILLING_SETTINGS_FIELDS
        widgets = {
            "hospital_address": forms.Textarea(attrs={"rows": 3}),
            "payment_terms": forms.Textarea(attrs={"rows": 2}),
        }
        # In a clerk's words (the model's names are the columns').
        labels = {
            "tax_id": "Hospital's tax number",
            "tax_rate": "Tax rate",
            "payment_terms_days": "Days to pay",
            "payment_terms": "Payment terms printed on invoices",
        }
        help_texts = {
            "currency": "The three-letter code shown with every amount, e.g. USD or EUR.",
            "tax_rate": "As a fraction: 0.0750 is 7.5 %, 0 for no tax.",
            "payment_terms_days": "An invoice is due this many days after it is issued, "
            "unless its due date is set.",
        }

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        if read_only:
            for field in self.fields.values():
                field.disabled = True
        else:
            self.helper.add_input(Submit("submit", "Save settings"))
            self.helper.attrs = dict(GUARD_UNSAVED)
        self.helper.layout = Layout(HTML(GUARD_CHANGED), *(Field(name) for name in self.fields))
