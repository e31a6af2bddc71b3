"""Money as a person reads it: `{% load money %}` then `{{ amount|money:currency }}`.

One way everywhere an amount is shown on a page or an invoice PDF: the currency code, a
non-breaking space, thousands separated by commas, always two decimals, rounded half up, the
minus sign before the code ("USD 109,605.10", "-USD 12.50"; a template that writes
`-{{ refund|money:currency }}` reads the same). The code is the hospital's: billing passes its
own (the invoice's, frozen at issue, or the billing settings' `currency`); without one the
number is shown alone. None (or "") shows nothing, so `|default:"—"` can follow. CSV exports
and form inputs keep plain numbers and never use this.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()

CENT = Decimal("0.01")
NBSP = "\u00a0"  # code and number stay on one line, in a narrow table cell too


def format_money(amount: Any, currency: str | None = "") -> str:
    """`amount` (Decimal, int, float or a numeric string) as "USD 1,234.50"; "" for None."""
    if amount is None or amount == "" or isinstance(amount, bool):
        return "" if amount is None or amount == "" else str(amount)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError, TypeError):
        return str(amount)  # not a number: shown as it is rather than hidden
    if not value.is_finite():
        return str(amount)
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""  # -0.00 rounds to 0.00 and shows no sign
    code = str(currency or "").strip()
    code = f"{code}{NBSP}" if code else ""
    return f"{sign}{code}{abs(value):,.2f}"


@register.filter
def money(amount: Any, currency: str | None = "") -> str:
    return format_money(amount, currency)
