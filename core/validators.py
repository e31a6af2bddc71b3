"""E-mail addresses as patients and doctors really have them (RFC 6531).

Django's `EmailValidator` accepts only ASCII before the @, so it refuses `zoë.obrien@example.org`
or `josé.muñoz@example.org`, addresses that internationalised mail (RFC 6531, SMTPUTF8) makes
valid and that mail servers deliver. `validate_email_address` accepts letters, combining marks
and digits of any script in the local part, beside RFC 5322's ASCII characters; everything else
is checked as Django does (one @, no spaces, a valid domain, which may itself be Unicode).

The model field and the form field use it, so the admin, every model form and `full_clean()` in
the services follow; the workbook import calls it for its Email columns.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils.deconstruct import deconstructible

# RFC 5322 atext, plus every non-ASCII character; which of those may stand in an address is
# decided character by character in `InternationalEmailValidator.__call__` (a Python regular
# expression cannot name Unicode categories).
_ATEXT = r"[-!#$%&'*+/=?^_`{}|~0-9A-Z\u0080-\U0010FFFF]"
# Unicode categories allowed in the local part: letters, marks (é written as e + ◌́), digits.
_LOCAL_CATEGORIES = frozenset("LMN")


@deconstructible
class InternationalEmailValidator(EmailValidator):
    """Django's e-mail validator with a local part that may hold non-ASCII letters, marks and
    digits (RFC 6531). Spaces, control and punctuation characters outside ASCII stay refused."""

    user_regex = re.compile(
        # dot-atom
        rf"(^{_ATEXT}+(\.{_ATEXT}+)*\Z"
        # quoted-string, ASCII only (as Django)
        r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
        re.IGNORECASE,
    )

    def __call__(self, value: Any) -> None:
        super().__call__(value)
        local_part = value.rsplit("@", 1)[0]
        if not all(
            char.isascii() or unicodedata.category(char)[0] in _LOCAL_CATEGORIES
            for char in local_part
        ):
            raise ValidationError(self.message, code=self.code, params={"value": value})


validate_email_address = InternationalEmailValidator()


class InternationalEmailInput(forms.TextInput):
    """A text box for an e-mail address. Not `type="email"`: HTML defines an e-mail address as
    ASCII before the @, so browsers would refuse `zoë.obrien@example.org` before the server
    sees it. `inputmode` still brings up the e-mail keyboard on phones and tablets."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"inputmode": "email", "spellcheck": "false", "autocapitalize": "none"}
        super().__init__({**defaults, **(attrs or {})})


def _text_widget(widget: Any) -> Any:
    """`widget` with any `type="email"` input (Django's EmailInput, the admin's
    AdminEmailInputWidget) replaced by an InternationalEmailInput keeping its attributes."""
    if isinstance(widget, type):
        if not issubclass(widget, forms.EmailInput):
            return widget
        widget = widget()
    if isinstance(widget, forms.EmailInput):
        return InternationalEmailInput(attrs=widget.attrs)
    return widget


class InternationalEmailFormField(forms.EmailField):
    """A form's e-mail field validated by `validate_email_address`. An EmailInput widget given
    to it (by the admin or a form's `Meta.widgets`) becomes an InternationalEmailInput."""

    widget = InternationalEmailInput
    default_validators = [validate_email_address]

    def __init__(self, *, widget: Any = None, **kwargs: Any) -> None:
        super().__init__(widget=_text_widget(widget), **kwargs)


class InternationalEmailField(models.EmailField):
    """A model's e-mail field validated by `validate_email_address` (same column as Django's
    EmailField: varchar(254))."""

    default_validators = [validate_email_address]

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": InternationalEmailFormField, **kwargs})
