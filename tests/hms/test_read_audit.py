"""Every page that shows clinical content writes one audit row per page view, naming the
patients shown (DESIGN.md: "all, logged"): the admin's lists and records of history entries,
their earlier versions, visits and visit items and invoice lines, the billing clerk's patient
page, invoices, and the reports of patients' medications and surgeries. One INSERT per view,
however many patients the page shows, so the page's query count does not grow with them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Attendance
from billing.models import Invoice, InvoiceLine
from clinical import services as clinical_services
from clinical.models import VisitItem
from core.models import AuditEvent
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision
from tests.billing.factories import drafted, medication, surgery
from tests.clinical.factories import MedicationGivenFactory
from tests.factories import AttendanceFactory, MedicalHistoryFactory, PatientFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 6, 28)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# Each maker creates what a page shows for `n` patients (a list page) or one patient with `n`
# rows (a page about one record), and returns the page's URL and the patients it shows.
Made = tuple[str, list[int]]


def _history_list(n: int) -> Made:
    patients = PatientFactory.create_batch(n)
    for patient in patients:
        MedicalHistoryFactory(patient=patient, kind=HistoryKind.CONDITION, description="Asthma")
        medication(patient, "Salbutamol")
    return admin_url(MedicalHistory, "changelist"), [p.pk for p in patients]


def _history_entry(n: int) -> Made:
    entry = MedicalHistoryFactory(description="Asthma")
    for _ in range(n):
        MedicalHistoryFactory(patient=entry.patient)
    return admin_url(MedicalHistory, "change", entry.pk), [entry.patient_id]


def _history_entry_history(n: int) -> Made:
    entry = MedicalHistoryFactory(description="Asthma")
    return admin_url(MedicalHistory, "history", entry.pk), [entry.patient_id]


def _corrected(patient) -> MedicalHistory:
    entry = MedicalHistoryFactory(patient=patient, description="Asthma")
    return clinical_services.history_entry_correct(
        entry=entry, data={"description": "Mild asthma"}, reason="Typo", by=None
    )


def _revision_list(n: int) -> Made:
    patients = PatientFactory.create_batch(n)
    for patient in patients:
        _corrected(patient)
    return admin_url(MedicalHistoryRevision, "changelist"), [p.pk for p in patients]


def _revision(n: int) -> Made:
    entry = _corrected(PatientFactory())
    revision = MedicalHistoryRevision.objects.get(entry=entry)
    return admin_url(MedicalHistoryRevision, "change", revision.pk), [entry.patient_id]


def _visit_list(n: int) -> Made:
    visits = [AttendanceFactory(diagnosis="Flu") for _ in range(n)]
    return admin_url(Attendance, "changelist"), [v.patient_id for v in visits]


def _visit(n: int) -> Made:
    visit = AttendanceFactory(diagnosis="Flu", notes="Rest " * n)
    return admin_url(Attendance, "change", visit.pk), [visit.patient_id]


def _visit_item_list(n: int) -> Made:
    visits = [AttendanceFactory() for _ in range(n)]
    for visit in visits:
        MedicationGivenFactory.create_batch(2, attendance=visit)
    return admin_url(VisitItem, "changelist"), [v.patient_id for v in visits]


def _visit_item(n: int) -> Made:
    item = MedicationGivenFactory(attendance=AttendanceFactory())
    return admin_url(VisitItem, "change", item.pk), [item.attendance.patient_id]


def _billed(n: int) -> list:
    patients = PatientFactory.create_batch(n)
    for patient in patients:
        medication(patient, "Metformin")
        surgery(patient, "Cast")
        drafted(patient)
    return patients


def _invoice_line_list(n: int) -> Made:
    patients = _billed(n)
    return admin_url(InvoiceLine, "changelist"), [p.pk for p in patients]


def _admin_invoice(n: int) -> Made:
    patient = PatientFactory()
    for i in range(n):
        medication(patient, f"Drug {i}")
    invoice = drafted(patient)
    return admin_url(Invoice, "change", invoice.pk), [patient.pk]


def _billable(n: int) -> Made:
    patient = PatientFactory()
    for i in range(n):
        medication(patient, f"Drug {i}")
        surgery(patient, f"Procedure {i}")
    return reverse("billing:patient_billable", args=[patient.pk]), [patient.pk]


def _invoice(view: str) -> Callable[[int], Made]:
    def make(n: int) -> Made:
        patient = PatientFactory()
        for i in range(n):
            medication(patient, f"Drug {i}")
        invoice = drafted(patient)
        return reverse(f"billing:{view}", args=[invoice.pk]), [patient.pk]

    return make


def _report(name: str) -> Callable[[int], Made]:
    def make(n: int) -> Made:
        patients = PatientFactory.create_batch(n)
        for patient in patients:
            medication(patient, "Metformin", day=DAY)
            surgery(patient, "Cast", day=DAY)
        return reverse("reports:report_detail", args=[name]), [p.pk for p in patients]

    return make


@dataclass(frozen=True)
class Page:
    id: str
    role: str
    make: Callable[[int], Made]
    object_type: str


ADMIN = "admin_user"
PAGES = [
    Page("admin history list", ADMIN, _history_list, "patients.medicalhistory"),
    Page("admin history entry", ADMIN, _history_entry, "patients.medicalhistory"),
    Page("admin history entry's log", ADMIN, _history_entry_history, "patients.medicalhistory"),
    Page("admin revision list", ADMIN, _revision_list, "patients.medicalhistoryrevision"),
    Page("admin revision", ADMIN, _revision, "patients.medicalhistoryrevision"),
    Page("admin visit list", ADMIN, _visit_list, "appointments.attendance"),
    Page("admin visit", ADMIN, _visit, "appointments.attendance"),
    Page("admin visit item list", ADMIN, _visit_item_list, "clinical.visititem"),
    Page("admin visit item", ADMIN, _visit_item, "clinical.visititem"),
    Page("admin invoice line list", ADMIN, _invoice_line_list, "billing.invoiceline"),
    Page("admin invoice", ADMIN, _admin_invoice, "billing.invoice"),
    Page("billing patient page", "billing_clerk", _billable, "patients.patient"),
    Page("invoice page", "front_desk", _invoice("invoice_detail"), "billing.invoice"),
    Page("invoice print page", "billing_clerk", _invoice("invoice_print"), "billing.invoice"),
    Page("patient-health report", ADMIN, _report("patient-health"), ""),
    Page("patient-bills report", ADMIN, _report("patient-bills"), ""),
]


def _view(client, url: str) -> tuple[int, list[AuditEvent]]:
    """Open `url`; the number of queries it took and the VIEW rows it wrote."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    events = list(AuditEvent.objects.filter(id__gt=last, action=AuditEvent.Action.VIEW))
    return len(queries), events


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_it_writes_one_row_naming_the_patients_shown(request, client, page):
    user = request.getfixturevalue(page.role)
    client.force_login(user)
    url, patients = page.make(3)

    _, events = _view(client, url)

    (event,) = events
    assert event.changes["patients"] == sorted(patients)
    assert (event.actor_id, event.actor_username) == (user.pk, user.username)
    assert event.path == url.split("?")[0]
    if page.object_type:
        assert event.object_type == page.object_type
    # A page about one patient is also found under that patient's id.
    assert event.patient_id == (patients[0] if len(patients) == 1 else None)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_it_costs_the_same_queries_for_one_patient_or_many(request, client, page):
    client.force_login(request.getfixturevalue(page.role))
    few_url, _ = page.make(1)
    client.get(few_url)  # the first request saves the session and may make settings rows
    few, few_events = _view(client, few_url)
    many_url, many_patients = page.make(6)
    client.get(many_url)

    many, many_events = _view(client, many_url)

    assert len(few_events) == len(many_events) == 1
    assert set(many_patients) <= set(many_events[0].changes["patients"])
    assert many == few


def test_it_names_the_patients_of_the_rows_shown_only(client, admin_user):
    """A list page names the patients on its page, not every patient the list could reach."""
    client.force_login(admin_user)
    patients = PatientFactory.create_batch(2)
    for patient in patients:
        MedicalHistoryFactory(patient=patient, description="Asthma")
    url = admin_url(MedicalHistory, "changelist") + f"?q={patients[0].mrn}"

    _, (event,) = _view(client, url)

    assert event.changes["patients"] == [patients[0].pk]
    assert event.patient_id == patients[0].pk


def test_it_records_the_reports_filters_with_the_patients(client, admin_user):
    client.force_login(admin_user)
    inside, outside = PatientFactory(), PatientFactory()
    medication(inside, "Metformin", day=DAY)
    medication(outside, "Metformin", day=DAY - datetime.timedelta(days=30))
    url = reverse("reports:report_detail", args=["patient-health"])

    _, (event,) = _view(client, f"{url}?from={DAY}&to={DAY}")

    assert event.changes == {
        "report": "patient-health",
        "filters": {"from": str(DAY), "to": str(DAY)},
        "patients": [inside.pk],
    }


def test_it_writes_no_row_for_a_report_without_clinical_content(client, admin_user):
    client.force_login(admin_user)
    _report("demographics")(2)

    _, events = _view(client, reverse("reports:report_detail", args=["demographics"]))

    assert events == []


def test_it_writes_no_row_for_the_admins_invoice_list(client, admin_user):
    """The list shows invoices' totals, not their lines; an invoice's own page is logged."""
    client.force_login(admin_user)
    _billed(2)

    _, events = _view(client, admin_url(Invoice, "changelist"))

    assert events == []


def test_it_writes_no_row_when_the_page_is_refused(client, front_desk):
    client.force_login(front_desk)
    url, _ = _billable(2)

    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()
