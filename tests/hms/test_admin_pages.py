"""The Django admin: every model of the project registered, every page opening for the
administrator, lists in a fixed number of queries, and users who are not staff sent
to the login page."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from appointments.models import (
    Appointment,
    AppointmentMessage,
    AppointmentStatusChange,
    Attendance,
)
from appointments.queue import QueueCounter, QueueRoom, QueueTicket
from appointments.series import AppointmentSeries
from appointments.waitlist.models import WaitlistEntry, WaitlistOffer
from billing.models import (
    AccountEntry,
    BillingSettings,
    CashierDayClose,
    CreditNote,
    CreditNoteNumberCounter,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    InvoiceNumberCounter,
    MedicationCost,
    Payment,
    ProcedureFee,
    Refund,
)
from core.models import AuditEvent
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours
from hms import dbroles
from patients.icd10 import Icd10Code
from patients.models import MedicalHistory, MedicalHistoryRevision, Patient
from tests.factories import (
    AppointmentFactory,
    AppointmentStatusChangeFactory,
    AttendanceFactory,
    AuditEventFactory,
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    PaymentFactory,
    ProcedureFeeFactory,
    TimeOffFactory,
    WorkingHoursFactory,
)

ADDABLE = {
    Patient,
    MedicalHistory,
    Specialty,
    Doctor,
    WorkingHours,
    TimeOff,
    Appointment,
    MedicationCost,
    ProcedureFee,
    QueueRoom,
}
ALL_MODELS = [
    Patient,
    MedicalHistory,
    Specialty,
    Doctor,
    WorkingHours,
    TimeOff,
    Appointment,
    AppointmentStatusChange,
    Attendance,
    AppointmentMessage,
    MedicationCost,
    ProcedureFee,
    BillingSettings,
    Invoice,
    InvoiceLine,
    Payment,
    InvoiceNumberCounter,
    AuditEvent,
    MedicalHistoryRevision,
    CreditNote,
    CreditNoteNumberCounter,
    Refund,
    AccountEntry,
    CashierDayClose,
    InvoiceBatch,
    Icd10Code,
    AppointmentSeries,
    WaitlistEntry,
    WaitlistOffer,
    QueueRoom,
    QueueTicket,
    QueueCounter,
]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def one_of_each(db):
    patient = PatientFactory()
    medication = MedicationCostFactory()
    doctor = DoctorFactory()
    appointment = AppointmentFactory(patient=patient, doctor=doctor)
    invoice = InvoiceFactory(patient=patient)
    objects = [
        patient,
        MedicalHistoryFactory(patient=patient, kind="medication", medication=medication),
        doctor.specialty,
        doctor,
        WorkingHoursFactory(doctor=doctor),
        TimeOffFactory(doctor=doctor),
        appointment,
        AppointmentStatusChangeFactory(appointment=appointment),
        AttendanceFactory(),
        AppointmentMessage.objects.create(
            appointment=appointment, kind="booked", channel="email", sequence=0
        ),
        medication,
        ProcedureFeeFactory(),
        BillingSettings.load(),
        invoice,
        InvoiceLineFactory(invoice=invoice),
        PaymentFactory(invoice=invoice),
        AuditEventFactory(patient_id=patient.pk),
        InvoiceNumberCounter.objects.create(year=2026, last_number=7),
        _corrected_revision(patient),
        Icd10Code.objects.get(pk="J45.909"),  # loaded by migrations
        *_money_after_issue(),
        *_scheduling(patient, doctor, appointment),
    ]
    return {type(obj): obj for obj in objects}


def _scheduling(patient, doctor, appointment) -> list:
    """A series, a waiter with an offer, a doctor's room, a token and its day's counter."""
    import datetime

    from django.utils import timezone

    start = appointment.start
    series = AppointmentSeries.objects.create(
        patient=patient,
        doctor=doctor,
        rule="FREQ=WEEKLY;COUNT=2",
        first_start=start,
        length=datetime.timedelta(minutes=30),
    )
    entry = WaitlistEntry.objects.create(
        patient=PatientFactory(),
        doctor=doctor,
        day_from=timezone.localdate(),
        day_to=timezone.localdate() + datetime.timedelta(days=30),
    )
    offer = WaitlistOffer.objects.create(
        entry=entry,
        doctor=doctor,
        start=start + datetime.timedelta(days=3),
        end=start + datetime.timedelta(days=3, minutes=30),
        expires_at=timezone.now() + datetime.timedelta(minutes=30),
    )
    day = timezone.localdate()
    counter = QueueCounter.objects.create(day=day, queue=doctor.pk, last_number=1)
    ticket = QueueTicket.objects.create(
        appointment=appointment, doctor=doctor, day=day, queue=doctor.pk, number=1
    )
    return [
        series,
        entry,
        offer,
        QueueRoom.objects.create(doctor=doctor, room="4"),
        ticket,
        counter,
    ]


def _money_after_issue() -> list:
    """A credit note (and its counter), an account with a deposit and a refund, a day close."""
    from django.utils import timezone

    from billing.cashier import cashier_day_close
    from billing.services import account_refund, credit_note_issue, deposit_take
    from tests.billing.factories import issued
    from tests.factories import UserFactory

    patient = PatientFactory()
    note = credit_note_issue(invoice=issued(patient), reason="Duplicate", by=None)
    deposit = deposit_take(patient=patient, amount="20.00", method="cash", by=None)
    refund = account_refund(patient=patient, amount="5.00", method="cash", reason="x", by=None)
    close = cashier_day_close(cashier=UserFactory(), day=timezone.localdate(), by=None)
    batch = InvoiceBatch.objects.create(requested_by=UserFactory(), invoice_ids=[note.invoice_id])
    return [note, CreditNoteNumberCounter.objects.get(), deposit, refund, close, batch]


def _corrected_revision(patient):
    from clinical.services import history_entry_correct

    entry = MedicalHistoryFactory(patient=patient, kind="condition", description="Asthma")
    history_entry_correct(entry=entry, data={"description": "Mild asthma"}, reason="Typo", by=None)
    return MedicalHistoryRevision.objects.get(entry=entry)


def test_it_registers_every_model_of_the_project():
    project_models = {
        model
        for label in ("core", "patients", "doctors", "appointments", "billing")
        for model in apps.get_app_config(label).get_models()
        # The sums the database keeps for the reports: nobody edits them, in the admin or not.
        if model._meta.db_table not in dbroles.SUMMARY_TABLES
    }
    assert project_models == set(ALL_MODELS)
    assert all(admin.site.is_registered(model) for model in ALL_MODELS)


def test_it_opens_the_admin_index_for_the_administrator(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    listed = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {model.__name__ for model in ALL_MODELS} <= listed


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.label_lower)
def test_it_loads_every_admin_page_for_the_administrator(admin_client, one_of_each, model):
    obj = one_of_each[model]

    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "x"}).status_code == 200
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    expected_add = 200 if model in ADDABLE else 403
    assert admin_client.get(url(model, "add")).status_code == expected_add


@pytest.mark.parametrize(
    "model, field",
    [(Appointment, "patient"), (Appointment, "doctor"), (MedicalHistory, "medication")],
)
def test_it_offers_autocomplete_for_big_tables(admin_client, one_of_each, model, field):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field,
            "term": "",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"]


@pytest.mark.parametrize("role", ["front_desk", "doctor", "billing_clerk", "outsider"])
def test_it_turns_non_staff_users_away(db, client, request, role):
    client.force_login(request.getfixturevalue(role))

    for path in (reverse("admin:index"), url(Patient, "changelist")):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "model, make_rows",
    [
        (Patient, lambda: PatientFactory.create_batch(50)),
        (Appointment, lambda: AppointmentFactory.create_batch(50)),
        (Invoice, lambda: InvoiceFactory.create_batch(50)),
        (AuditEvent, lambda: AuditEventFactory.create_batch(50)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_it_lists_many_rows_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, model, make_rows
):
    make_rows()

    # Session, user, the second-factor device (django-otp), filters, counts, date hierarchy,
    # rows, session save: never per row.
    with django_assert_max_num_queries(14):
        response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200
    # Every row on one page: the 50 made, and for the audit log the administrator's login too.
    shown = len(response.context["cl"].result_list)
    assert shown == model.objects.count() >= 50
