"""A visit whose consultation is on an invoice stays: the database refuses to delete it (a
trigger, billing migration 0014), for the application's own login that the tests run as, not
only for the services; once the invoice line is voided, the visit may go."""

import pytest
from django.db import IntegrityError, transaction

from appointments.models import Attendance
from tests.factories import AttendanceFactory, InvoiceLineFactory

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
