"""Text messages to patients, through a backend the hospital chooses.

`HMS_SMS_BACKEND` names a class (dotted path) with a `send(*, to, text)` method, like Django's
`EMAIL_BACKEND`: a hospital plugs in its own gateway by writing one such class. Unset, no text
messages are sent. The project ships one backend, `LogSmsBackend`, which only writes each
message to the log (logger `core.sms`), for development and for trying the channel out.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("core.sms")


class SmsBackend:
    """What an SMS gateway's backend does: send `text` to the phone number `to`, or raise
    `SmsRefused` (the gateway said no: a bad number) or any other exception (it could not be
    reached); the caller retries and records the failure."""

    def send(self, *, to: str, text: str) -> None:  # pragma: no cover - an interface
        raise NotImplementedError


class SmsRefused(Exception):
    """The gateway refused the message, e.g. for a number it cannot deliver to."""


class LogSmsBackend(SmsBackend):
    """Writes each message to the log instead of sending it."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


def sms_backend() -> SmsBackend | None:
    """The configured backend, or None when the hospital sends no text messages."""
    path = getattr(settings, "HMS_SMS_BACKEND", "")
    return import_string(path)() if path else None
