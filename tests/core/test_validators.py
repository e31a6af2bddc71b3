"""core.validators.validate_email_address: Django's e-mail check, with letters of any alphabet
allowed before the @ (RFC 6531)."""

import pytest
from django.core.exceptions import ValidationError

from core.validators import validate_email_address


@pytest.mark.parametrize(
    "address",
    [
        "name@example.org",
        "zoë.obrien@example.org",
        "josé.muñoz@example.org",
        "e\u0301mile@example.org",  # é written as e + combining accent
        "用户@例子.广告",
        "ü@münchen.de",
        "δοκιμή@παράδειγμα.δοκιμή",
        "١٢٣@example.org",  # Arabic-Indic digits
        "o'brien+tag@example.org",
        '"john..doe"@example.org',  # a quoted local part, as Django takes it
    ],
)
def test_it_accepts_an_address(address):
    validate_email_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "not-an-email",
        "a b@example.org",
        "zoë obrien@example.org",
        "zoë\u00a0obrien@example.org",  # a no-break space
        "zoë\u200bobrien@example.org",  # a zero-width space
        "zoë💥@example.org",
        "zoë«@example.org",
        "@example.org",
        "zoë@",
        "zoë@example",
        "zoë@-example.org",
        ".zoë@example.org",
        "zoë.@example.org",
        "zo..ë@example.org",
        "zoë@@example.org",
    ],
)
def test_it_refuses_what_is_not_an_address(address):
    with pytest.raises(ValidationError):
        validate_email_address(address)
