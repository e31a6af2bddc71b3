"""The metadata test's records and example values for Invoice and AuditEvent
(tests/fhir/test_metadata.py): for each type a `wanted` row every example value finds and an
`other` row none finds.

The searches before them write audit rows (views naming patients, the token's creation, the
exports), so the audit rows here name people those rows never do: the wanted row names its
patient only among a list's patients, a user no request is made by, a delete."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from billing.models import InvoiceStatus
from tests.factories import AuditEventFactory, InvoiceFactory, PatientFactory


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _nobody(mrn: str) -> Any:
    """A patient no Patient example finds (male, born 2000, another name and MRN)."""
    return PatientFactory(
        mrn=mrn,
        first_name="Olaf",
        last_name="Quist",
        date_of_birth=datetime.date(2000, 1, 1),
        sex="male",
    )


def invoice_audit_world() -> dict[str, dict[str, Any]]:
    billed, unbilled = _nobody("P0000790"), _nobody("P0000791")
    audited = _nobody("P0000792")
    money = {"subtotal": Decimal("80.00"), "total": Decimal("80.00"), "currency": "USD"}
    invoices = {
        "wanted": InvoiceFactory(
            patient=billed,
            number="INV-2026-000777",
            status=InvoiceStatus.ISSUED,
            issued_at=_at(datetime.date(2026, 3, 3)),
            **money,
        ),
        "other": InvoiceFactory(
            patient=unbilled,
            number="INV-2025-000778",
            status=InvoiceStatus.VOID,
            void_reason="Wrong patient",
            issued_at=_at(datetime.date(2025, 5, 5)),
            **money,
        ),
    }
    with _clock(_at(datetime.date(2026, 3, 3))):
        wanted = AuditEventFactory(
            actor=None,
            actor_username="nurse.kim",
            action="delete",
            object_type="patients.patient",
            changes={"patients": [audited.pk]},
        )
    with _clock(_at(datetime.date(2025, 5, 5))):
        other = AuditEventFactory(actor=None, actor_username="someone", action="create")
    return {
        "Invoice": invoices,
        "AuditEvent": {"wanted": wanted, "other": other, "patient": audited},
    }


@contextmanager
def _clock(moment: datetime.datetime) -> Iterator[None]:
    """The clock stopped at `moment` (an audit row's time is set as it is written)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


INVOICE_AUDIT_EXAMPLES = {
    ("Invoice", "patient"): lambda w: f"Patient/{w['Invoice']['wanted'].patient_id}",
    ("Invoice", "identifier"): lambda w: "INV-2026-000777",
    ("Invoice", "status"): lambda w: "issued",
    ("Invoice", "date"): lambda w: "2026-03",
    ("AuditEvent", "date"): lambda w: "2026-03-03",
    ("AuditEvent", "patient"): lambda w: f"Patient/{w['AuditEvent']['patient'].pk}",
    ("AuditEvent", "agent"): lambda w: "nurse.kim",
    ("AuditEvent", "action"): lambda w: "D",
}
