"""A visit whose consultation is on an invoice stays: the database refuses to delete it (a
trigger, billing migration 0014), for the application's own login that the tests run as, not
only for the services; once the invoice line is voided, the visit may go. A line billing a
visit holds it (billing migration 0015), so an undo and a draft at the same moment never
both commit."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from appointments.models import Attendance
from appointments.status_moves import MoveRefused, appointment_undo_check_in
from billing.models import InvoiceLine
from billing.services import invoice_draft_for_patient
from tests.clinical.factories import checked_in_visit, today_at
from tests.concurrency import together, waiting_on_a_lock
from tests.factories import AttendanceFactory, DoctorFactory, InvoiceLineFactory

pytestmark = pytest.mark.django_db


def test_a_billed_visit_cannot_be_deleted_by_any_path():
    visit = AttendanceFactory()
    InvoiceLineFactory(
        invoice__patient=visit.patient, kind="consultation", source_key=f"attendance:{visit.pk}"
    )

    with pytest.raises(IntegrityError, match="consultation is on an invoice"):
        with transaction.atomic():
            Attendance.objects.filter(pk=visit.pk).delete()
    assert Attendance.objects.filter(pk=visit.pk).exists()


def test_a_visit_on_no_active_line_can_be_deleted():
    billed_then_voided = AttendanceFactory()
    InvoiceLineFactory(
        invoice__patient=billed_then_voided.patient,
        kind="consultation",
        source_key=f"attendance:{billed_then_voided.pk}",
        is_active=False,
    )
    never_billed = AttendanceFactory()

    Attendance.objects.filter(pk__in=[billed_then_voided.pk, never_billed.pk]).delete()

    assert not Attendance.objects.filter(pk__in=[billed_then_voided.pk, never_billed.pk]).exists()


def _undo_and_draft_at_once(undo_first: bool):
    """The desk undoes a check-in and a clerk drafts the patient's invoice at the same moment:
    the one that starts first holds the visit until it commits, the other waits."""
    visit = checked_in_visit(doctor=DoctorFactory(), start=today_at(0, 5))
    held, go_on = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            if undo_first:
                appointment_undo_check_in(appointment=visit.appointment, by=None)
            else:
                invoice_draft_for_patient(patient=visit.patient, by=None)
            held.set()
            assert go_on.wait(60)
        return "committed"

    def second():
        assert held.wait(60)
        if undo_first:
            return invoice_draft_for_patient(patient=visit.patient, by=None)
        return appointment_undo_check_in(appointment=visit.appointment, by=None)

    def release_once_the_second_waits():
        deadline = time.monotonic() + 60
        while not waiting_on_a_lock():
            assert time.monotonic() < deadline, "the second never waited for the first"
            time.sleep(0.01)
        go_on.set()

    committed, refused, _ = together([first, second, release_once_the_second_waits])
    assert committed == "committed", committed
    return visit, refused


@pytest.mark.django_db(transaction=True)
def test_a_draft_racing_an_undone_check_in_bills_nothing_and_says_why():
    visit, refused = _undo_and_draft_at_once(undo_first=True)

    assert isinstance(refused, ValidationError), refused
    assert "A visit of these items was just undone at the front desk" in str(refused)
    assert not Attendance.objects.filter(pk=visit.pk).exists()
    assert not InvoiceLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_undo_racing_a_draft_keeps_the_billed_visit_and_says_why():
    visit, refused = _undo_and_draft_at_once(undo_first=False)

    assert isinstance(refused, MoveRefused), refused
    assert Attendance.objects.filter(pk=visit.pk).exists()
    billed = InvoiceLine.objects.filter(is_active=True).values_list("source_key", flat=True)
    assert f"attendance:{visit.pk}" in set(billed)
    assert "This visit's consultation is already on an invoice" in str(refused)
