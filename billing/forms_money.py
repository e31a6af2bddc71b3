"""Forms for money after issue: credit notes, deposits, account credit, refunds, day close."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from billing.forms import DATE, MONEY_ATTRS, _post_helper
from billing.models import CashMethod
from billing.services.money import MAX_AMOUNT, SETTLE_ACCOUNT, SETTLE_REFUND
from core.forms import BoundedDateField, VisibleTextForm
from core.templatetags.money import format_money


def _money(label: str, *, required: bool = True, minimum: str = "0.01") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(minimum),
        max_value=MAX_AMOUNT,
        widget=forms.NumberInput(attrs={**MONEY_ATTRS, "min": minimum}),
    )


class CreditNoteForm(VisibleTextForm, forms.Form):
    prefix = "credit"  # several forms share a page: ids stay unique
    reason = forms.CharField(label="Reason for the credit note", max_length=255)
    settle = forms.ChoiceField(
        label="Money already paid on it",
        choices=[
            (SETTLE_REFUND, "Refund it to the patient"),
            (SETTLE_ACCOUNT, "Keep it on the patient's account for later bills"),
        ],
        initial=SETTLE_REFUND,
        widget=forms.RadioSelect,
        required=False,
    )
    refund_method = forms.ChoiceField(
        label="Refund by", choices=[("", "---------"), *CashMethod.choices], required=False
    )
    refund_reference = forms.CharField(label="Refund reference", max_length=100, required=False)

    def __init__(self, *args: Any, action: str = "", paid: Decimal = Decimal(0), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.paid = paid
        if not paid:
            for name in ("settle", "refund_method", "refund_reference"):
                del self.fields[name]
        self.helper = _post_helper(action, "Issue credit note", css_class="btn-outline-danger")

    def clean(self) -> dict:
        data = super().clean()
        if self.paid and data.get("settle") == SETTLE_REFUND and not data.get("refund_method"):
            self.add_error("refund_method", "Say how the money is refunded.")
        if self.paid and not data.get("settle"):
            self.add_error("settle", "Say whether the money paid is refunded or kept.")
        return data


class DepositForm(VisibleTextForm, forms.Form):
    prefix = "deposit"  # several forms share a page: ids stay unique
    amount = _money("Deposit")
    method = forms.ChoiceField(label="Method", choices=CashMethod.choices)
    reference = forms.CharField(label="Reference", max_length=100, required=False)
    note = forms.CharField(
        label="For", max_length=255, required=False, help_text="e.g. the planned surgery"
    )

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(action, "Take deposit")


class AccountRefundForm(VisibleTextForm, forms.Form):
    prefix = "refund"  # several forms share a page: ids stay unique
    amount = _money("Refund")
    method = forms.ChoiceField(label="Method", choices=CashMethod.choices)
    reason = forms.CharField(label="Reason", max_length=255)
    reference = forms.CharField(label="Reference", max_length=100, required=False)

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(
            action, "Refund from the account", css_class="btn-outline-danger"
        )


class AccountApplyForm(VisibleTextForm, forms.Form):
    prefix = "account"  # several forms share a page: ids stay unique
    amount = _money("Use", required=False)

    def __init__(
        self,
        *args: Any,
        action: str = "",
        held: Decimal = Decimal(0),
        currency: str = "",
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields[
            "amount"
        ].help_text = (
            f"The account holds {format_money(held, currency)}; empty uses what is needed."
        )
        self.helper = _post_helper(action, "Use account credit")


class CashierDayForm(VisibleTextForm, forms.Form):
    """Which day (and, for administrators, which cashier) to show."""

    day = BoundedDateField(label="Day", required=False, widget=DATE)
    cashier = forms.TypedChoiceField(label="Cashier", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, cashiers: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if cashiers is None:
            del self.fields["cashier"]
        else:
            self.fields["cashier"].choices = [("", "Me"), *cashiers]


class DayCloseForm(VisibleTextForm, forms.Form):
    counted_cash = _money("Cash counted in the drawer", required=False, minimum="0")

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _post_helper(action, "Close the day and print the sheet")
