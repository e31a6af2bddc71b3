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


# --- Invisible and direction-changing characters ------------------------------------------

# Characters that change how the text around them is shown without showing themselves: the
# bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: U+202E
# shows "evil" as "live"), zero-width space, the left-to-right and right-to-left marks
# (U+200B, U+200E, U+200F), the word joiner, invisible operators (U+2060–U+2064), the byte order
# mark (U+FEFF), the line and paragraph separators (U+2028, U+2029), and every C0 and C1
# control character and DEL. The zero-width non-joiner and joiner (U+200C, U+200D) stay
# allowed: Persian, Indic scripts and emoji need them. Multi-line text may also hold tab,
# line feed and carriage return (a browser sends a text area's new lines as CR LF).
_INVISIBLE = (
    "\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\u2028\u2029\u2060-\u2064\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
)
_SINGLE_LINE = re.compile(f"[{_INVISIBLE}\t\n\r]")
_MULTI_LINE = re.compile(f"[{_INVISIBLE}]")


def invisible_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of `value` that a person could not see (or that changes how the
    text around it reads), as "U+202E"; None when there is none."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _refuse_invisible(value: Any, *, multiline: bool) -> None:
    if not isinstance(value, str):
        return
    char = invisible_character(value, multiline=multiline)
    if char is None:
        return
    if char in ("U+0009", "U+000A", "U+000D"):
        message = "Keep this on one line: remove the tab or line break (%(char)s)."
    else:
        message = (
            "Remove the invisible character %(char)s: it changes how the text reads "
            "without showing itself (a direction override prints “evil” as “live”)."
        )
    raise ValidationError(message, code="invisible_character", params={"char": char})


@deconstructible
class VisibleTextValidator:
    """Refuses text with a character a person cannot see: see `invisible_character`."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        _refuse_invisible(value, multiline=self.multiline)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibleTextValidator) and other.multiline == self.multiline


validate_single_line = VisibleTextValidator()
validate_multi_line = VisibleTextValidator(multiline=True)
