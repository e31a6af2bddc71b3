"""`{{ amount|money:currency }}` (core/templatetags/money.py): the one way amounts are shown."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.templatetags.money import NBSP, format_money

D = Decimal


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (D("109605.10"), f"USD{NBSP}109,605.10"),
        (D("109605.1"), f"USD{NBSP}109,605.10"),
        (D("1234567890.5"), f"USD{NBSP}1,234,567,890.50"),
        (D("999.99"), f"USD{NBSP}999.99"),
        (D("1000"), f"USD{NBSP}1,000.00"),
        (D("0"), f"USD{NBSP}0.00"),
        (D("0.005"), f"USD{NBSP}0.01"),  # half up, as the billing rule rounds
        (D("2.345"), f"USD{NBSP}2.35"),
        (12, f"USD{NBSP}12.00"),
        (1.005, f"USD{NBSP}1.01"),  # a float as it reads, not its binary value
        ("20000000000.00", f"USD{NBSP}20,000,000,000.00"),  # figures stored as text
        (" 7.5 ", f"USD{NBSP}7.50"),
    ],
)
def test_it_separates_thousands_with_two_decimals_after_the_code(amount, expected):
    assert format_money(amount, "USD") == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (D("-1234.5"), f"-EUR{NBSP}1,234.50"),
        (D("-0.01"), f"-EUR{NBSP}0.01"),
        ("-5.00", f"-EUR{NBSP}5.00"),
        (D("-0.001"), f"EUR{NBSP}0.00"),  # rounds to zero: no minus sign on nothing
        (D("-0.00"), f"EUR{NBSP}0.00"),
    ],
)
def test_it_puts_the_minus_sign_before_the_code(amount, expected):
    assert format_money(amount, "EUR") == expected


def test_nothing_shows_nothing_and_text_that_is_no_number_shows_as_it_is():
    assert format_money(None, "USD") == ""
    assert format_money("", "USD") == ""
    assert format_money("n/a", "USD") == "n/a"
    assert format_money(D("NaN"), "USD") == "NaN"
    assert format_money(D("Infinity"), "USD") == "Infinity"


def test_without_a_currency_the_number_stands_alone():
    assert format_money(D("109605.1")) == "109,605.10"
    assert format_money(D("-3"), None) == "-3.00"
    assert format_money(D("3"), "  ") == "3.00"


def test_the_filter_in_a_template_escapes_and_defaults():
    template = Template(
        "{% load money %}[{{ a|money:cur }}][{{ none|money:cur|default:'—' }}][{{ r|money }}]"
        "[-{{ refund|money:cur }}]"
    )
    html = template.render(
        Context({"a": D("109605.10"), "none": None, "cur": "<b>", "r": "1e3", "refund": 5})
    )
    assert html == (f"[&lt;b&gt;{NBSP}109,605.10][—][1,000.00][-&lt;b&gt;{NBSP}5.00]")
