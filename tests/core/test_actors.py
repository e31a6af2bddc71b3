"""The acting user of a service (`core.actors`): `by`, and the old keyword names that still
work for scripts written against the contract before services all said `by`."""

import datetime
import warnings
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from appointments.services import appointment_book
from billing import services as billing
from core.actors import acting_user, by_alias
from core.models import AuditEvent
from tests.billing.factories import visit
from tests.factories import DoctorFactory, PatientFactory, WorkingHoursFactory


@by_alias("made_by")
def _service(*, thing: str, by: object) -> tuple[str, object]:
    """What the service was given."""
    return thing, by


def test_it_takes_the_old_keyword_as_by_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match=r"_service\(made_by=\.\.\.\).*by="):
        assert _service(thing="x", made_by="ann") == ("x", "ann")


def test_it_passes_by_through_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _service(thing="x", by="ann") == ("x", "ann")


def test_it_refuses_both_names_at_once():
    with pytest.raises(TypeError, match="both 'by' and its old name 'made_by'"):
        _service(thing="x", by="ann", made_by="bob")


def test_it_still_requires_by():
    with pytest.raises(TypeError, match="by"):
        _service(thing="x")


def test_it_keeps_the_services_name_and_docstring():
    assert _service.__name__ == "_service"
    assert _service.__doc__ == "What the service was given."


def test_it_stores_no_user_for_a_system_job(db, front_desk):
    assert acting_user(front_desk) == front_desk
    assert acting_user(None) is None
    assert acting_user(AnonymousUser()) is None


def test_it_still_books_with_booked_by(db, front_desk):
    doctor = DoctorFactory()
    start = timezone.make_aware(datetime.datetime(2030, 3, 4, 10, 0))  # a Monday
    WorkingHoursFactory(
        doctor=doctor,
        weekday=0,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(17, 0),
        valid_from=datetime.date(2020, 1, 1),
    )

    with pytest.warns(DeprecationWarning):
        appointment = appointment_book(
            patient=PatientFactory(), doctor=doctor, start=start, booked_by=front_desk
        )

    assert appointment.booked_by == front_desk
    assert AuditEvent.objects.get(object_id=str(appointment.pk)).actor == front_desk


def test_it_still_bills_with_the_old_names(db, billing_clerk):
    patient = PatientFactory()
    visit(patient, fee="80.00")

    with pytest.warns(DeprecationWarning):
        draft = billing.invoice_draft_for_patient(patient=patient, created_by=billing_clerk)
    with pytest.warns(DeprecationWarning):
        invoice = billing.invoice_issue(invoice=draft, issued_by=billing_clerk)
    with pytest.warns(DeprecationWarning):
        payment = billing.payment_record(
            invoice=invoice, amount=Decimal("30.00"), method="cash", received_by=billing_clerk
        )

    assert (invoice.created_by, invoice.issued_by) == (billing_clerk, billing_clerk)
    assert payment.received_by == billing_clerk
