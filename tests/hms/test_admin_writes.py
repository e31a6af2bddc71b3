"""Admin writes of price lists and doctors' schedules go through their services (and are
audited); invoice lines and payments show under an invoice but cannot be written there."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import MedicationCost, ProcedureFee
from core.models import AuditEvent
from doctors.models import TimeOff, WorkingHours
from tests.factories import (
    AppointmentStatusChangeFactory,
    AttendanceFactory,
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    TimeOffFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _actions(object_type):
    return list(
        AuditEvent.objects.filter(object_type=object_type)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_it_adds_and_reprices_a_medication_but_never_deletes_it(admin_client):
    response = admin_client.post(
        url(MedicationCost, "add"), {"name": "Ibuprofen", "unit_cost": "2.50", "is_active": "on"}
    )
    assert response.status_code == 302
    medication = MedicationCost.objects.get(name="Ibuprofen")

    response = admin_client.post(
        url(MedicationCost, "change", medication.pk),
        {"name": "Ibuprofen", "unit_cost": "3.00", "is_active": "on"},
    )

    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.unit_cost == Decimal("3.00")
    assert _actions("billing.medicationcost") == ["create", "update"]
    assert admin_client.get(url(MedicationCost, "delete", medication.pk)).status_code == 403


def test_it_adds_a_procedure_fee_through_the_service(admin_client):
    response = admin_client.post(
        url(ProcedureFee, "add"), {"name": "Appendectomy", "fee": "900.00", "is_active": "on"}
    )

    assert response.status_code == 302
    assert ProcedureFee.objects.get(name="Appendectomy").fee == Decimal("900.00")
    assert _actions("billing.procedurefee") == ["create"]


def test_it_adds_changes_and_deletes_time_off_keeping_its_doctor(admin_client):
    doctor, other = DoctorFactory(), DoctorFactory()
    response = admin_client.post(
        url(TimeOff, "add"),
        {
            "doctor": doctor.pk,
            "start_0": "2030-03-04",
            "start_1": "09:00",
            "end_0": "2030-03-04",
            "end_1": "12:00",
            "reason": "Course",
        },
    )
    assert response.status_code == 302
    time_off = TimeOff.objects.get(doctor=doctor)

    response = admin_client.post(
        url(TimeOff, "change", time_off.pk),
        {
            "doctor": other.pk,
            "start_0": "2030-03-04",
            "start_1": "09:00",
            "end_0": "2030-03-04",
            "end_1": "13:00",
            "reason": "Course",
        },
    )
    assert response.status_code == 302
    time_off.refresh_from_db()
    assert (time_off.doctor, time_off.end.hour) == (doctor, 13)

    response = admin_client.post(url(TimeOff, "delete", time_off.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not TimeOff.objects.exists()
    assert _actions("doctors.timeoff") == ["create", "update", "delete"]


def test_it_changes_and_deletes_working_hours_on_their_own_page(admin_client):
    hours = WorkingHoursFactory()
    data = {
        "doctor": hours.doctor_id,
        "weekday": "1",
        "start_time": "09:00",
        "end_time": "13:00",
        "slot_minutes": "20",
        "valid_from": "2020-01-01",
    }

    assert admin_client.post(url(WorkingHours, "change", hours.pk), data).status_code == 302
    hours.refresh_from_db()
    assert (hours.weekday, hours.slot_minutes) == (1, 20)
    assert admin_client.post(
        url(WorkingHours, "delete", hours.pk), {"post": "yes"}
    ).status_code == (302)
    assert not WorkingHours.objects.exists()
    assert _actions("doctors.workinghours") == ["update", "delete"]


def test_it_changes_and_deletes_time_off_in_the_doctor_page(admin_client):
    doctor = DoctorFactory()
    kept, dropped = TimeOffFactory(doctor=doctor), TimeOffFactory(doctor=doctor)
    page = admin_client.get(url(type(doctor), "change", doctor.pk))
    rows = {
        form.instance.pk: index
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == "time_off"
        for index, form in enumerate(inline.formset.initial_forms)
    }
    data = {
        "first_name": doctor.first_name,
        "last_name": doctor.last_name,
        "specialty": doctor.specialty_id,
        "consultation_fee": "0.00",
        "is_active": "on",
        "working_hours-TOTAL_FORMS": "0",
        "working_hours-INITIAL_FORMS": "0",
        "time_off-TOTAL_FORMS": "2",
        "time_off-INITIAL_FORMS": "2",
        "_save": "1",
    }
    for row, index in rows.items():
        obj = TimeOff.objects.get(pk=row)
        data |= {
            f"time_off-{index}-id": row,
            f"time_off-{index}-doctor": doctor.pk,
            f"time_off-{index}-start_0": obj.start.astimezone().strftime("%Y-%m-%d"),
            f"time_off-{index}-start_1": obj.start.astimezone().strftime("%H:%M:%S"),
            f"time_off-{index}-end_0": obj.end.astimezone().strftime("%Y-%m-%d"),
            f"time_off-{index}-end_1": obj.end.astimezone().strftime("%H:%M:%S"),
            f"time_off-{index}-reason": "Training" if row == kept.pk else obj.reason,
        }
    data[f"time_off-{rows[dropped.pk]}-DELETE"] = "on"

    response = admin_client.post(url(type(doctor), "change", doctor.pk), data)

    assert response.status_code == 302
    assert list(TimeOff.objects.values_list("pk", "reason")) == [(kept.pk, "Training")]
    assert sorted(_actions("doctors.timeoff")) == ["delete", "update"]


def test_it_shows_invoice_lines_and_payments_read_only_under_the_invoice(admin_client):
    invoice = InvoiceFactory()
    InvoiceLineFactory(invoice=invoice)
    PaymentFactory(invoice=invoice)

    page = admin_client.get(url(type(invoice), "change", invoice.pk))

    assert page.status_code == 200
    inlines = {i.formset.prefix: i for i in page.context["inline_admin_formsets"]}
    for inline in inlines.values():
        assert inline.has_add_permission is False
        assert inline.has_change_permission is False
        assert inline.formset.can_delete is False
        assert inline.formset.extra == 0
        assert len(inline.formset.initial_forms) == 1
        assert set(inline.readonly_fields) == set(inline.opts.fields)


def test_it_shows_the_visit_and_status_history_read_only_under_the_appointment(admin_client):
    attendance = AttendanceFactory()
    appointment = attendance.appointment
    AppointmentStatusChangeFactory(appointment=appointment)

    page = admin_client.get(url(type(appointment), "change", appointment.pk))

    assert page.status_code == 200
    assert "Open the visit record" in page.content.decode()
    inlines = page.context["inline_admin_formsets"]
    assert len(inlines) == 2
    for inline in inlines:
        assert inline.has_add_permission is False
        assert inline.has_change_permission is False
        assert inline.formset.can_delete is False
        assert inline.formset.extra == 0
        assert len(inline.formset.initial_forms) == 1
