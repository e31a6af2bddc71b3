"""Invoice: an issued invoice as its PDF prints it (lines, subtotal, tax, total in its currency,
to the cent), its status (issued, balanced, cancelled with the reason), drafts never served;
search by patient, number, status and issue date, paged; the front desk, billing clerks and
administrators read it, doctors do not; every read is the patient's audit row."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.invoice import Invoice as InvoiceResource

from billing import services
from billing.models import Invoice, PaymentMethod
from core.models import AuditEvent
from tests.billing.conftest import fast_pdf  # noqa: F401 (a fixture)
from tests.billing.factories import drafted, issued, medication, settings, surgery, visit
from tests.billing.test_pdf import text_of
from tests.factories import MedicationCostFactory, PatientFactory, ProcedureFeeFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db

D = Decimal
NUMBERS = "https://hms.example.org/fhir/sid/invoice-number"


def exact(response) -> dict:
    """The answer's JSON with every number read as a Decimal, as a billing client reads it."""
    return json.loads(response.content, parse_float=Decimal, parse_int=Decimal)


def billed(patient, *, lines: int = 1) -> Invoice:
    """An issued invoice of `lines` consultation lines (80.00 each)."""
    for _ in range(lines):
        visit(patient, fee="80.00")
    return issued(patient)


@pytest.fixture
def three_lines(db) -> Invoice:
    """Hand-worked: 2 × 12.50 + 400.00 + 80.00 = 505.00; tax 7.5 % = 37.875 → 37.88;
    total 542.88 USD. Its PDF is rendered for real."""
    settings(tax_rate=D("0.0750"))
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    MedicationCostFactory(name="Metformin", unit_cost=D("12.50"))
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    medication(patient, "metformin", quantity=2)
    surgery(patient, "Appendectomy")
    visit(patient, fee="80.00")
    return issued(patient)


def test_it_gives_the_figures_the_pdf_prints_to_the_cent(api, billing_clerk, three_lines):
    invoice = three_lines
    response = api(url("invoice_read", invoice.pk), user=billing_clerk)
    resource = parsed(response, InvoiceResource)
    data = exact(response)
    pdf_text = text_of(invoice.pdf)

    assert resource.identifier[0].system == NUMBERS
    assert resource.identifier[0].value == invoice.number
    assert resource.status == "issued"
    assert resource.subject.reference == f"Patient/{invoice.patient_id}"
    assert resource.date == invoice.issued_at
    lines = data["lineItem"]
    assert [line["sequence"] for line in lines] == [1, 2, 3]
    assert [line["chargeItemCodeableConcept"]["text"] for line in lines] == [
        line.description for line in invoice.lines.order_by("id")
    ]
    base = [line["priceComponent"][0] for line in lines]
    assert sorted(c["amount"]["value"] for c in base) == [D("25.00"), D("80.00"), D("400.00")]
    assert sorted(c["factor"] for c in base) == [D("1"), D("1"), D("2")]
    assert {c["amount"]["currency"] for c in base} == {"USD"}
    assert sum(c["amount"]["value"] for c in base) == D("505.00")
    assert data["totalNet"] == {"value": D("505.00"), "currency": "USD"}
    assert data["totalGross"] == {"value": D("542.88"), "currency": "USD"}
    tax = next(c for c in data["totalPriceComponent"] if c["type"] == "tax")
    assert (tax["amount"]["value"], tax["factor"]) == (D("37.88"), D("0.075"))
    # The same figures as the invoice and its PDF.
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("505.00"), D("37.88"), D("542.88"))
    for figure in ("25.00", "400.00", "80.00", "505.00", "37.88", "542.88", invoice.number):
        assert figure in pdf_text, figure
    assert "Due date" in resource.paymentTerms


def test_a_paid_invoice_is_balanced(api, fast_pdf):  # noqa: F811
    invoice = billed(PatientFactory())
    services.payment_record(
        invoice=invoice, amount=invoice.total, method=PaymentMethod.CASH, by=None
    )

    resource = parsed(api(url("invoice_read", invoice.pk)), InvoiceResource)

    assert resource.status == "balanced"
    assert resource.cancelledReason is None


def test_a_void_invoice_is_cancelled_with_its_reason_and_keeps_its_lines(api, fast_pdf):  # noqa: F811
    invoice = billed(PatientFactory(), lines=2)
    services.invoice_void(invoice=invoice, reason="Billed the wrong patient", by=None)

    response = api(url("invoice_read", invoice.pk))
    resource = parsed(response, InvoiceResource)

    assert resource.status == "cancelled"
    assert resource.cancelledReason == "Void: Billed the wrong patient"
    assert resource.note[0].text == "Void: Billed the wrong patient"
    assert len(resource.lineItem) == 2
    assert exact(response)["totalGross"]["value"] == D("160.00")


def test_a_credited_invoice_is_cancelled_with_the_credit_notes_reason(api, fast_pdf):  # noqa: F811
    invoice = billed(PatientFactory())
    note = services.credit_note_issue(invoice=invoice, reason="Charged twice", by=None)

    resource = parsed(api(url("invoice_read", invoice.pk)), InvoiceResource)

    assert resource.status == "cancelled"
    assert resource.cancelledReason == (
        f"Credited in full by credit note {note.number}: Charged twice"
    )


def test_drafts_are_not_served(api, fast_pdf):  # noqa: F811
    patient = PatientFactory()
    visit(patient, fee="80.00")
    draft = drafted(patient)

    assert "no Invoice with id" in outcome_of(api(url("invoice_read", draft.pk)), 404)
    bundle = parsed(api(url("invoice_search"), patient=str(patient.pk)), Bundle)
    assert entries(bundle) == []


def billed_on(patient, moment: datetime.datetime) -> Invoice:
    """An invoice issued at `moment` (the clock stopped there while it is issued)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        return billed(patient)


@pytest.fixture
def world(fast_pdf):  # noqa: F811
    """Three invoices of two patients: open (issued 3 Mar 2026), paid (10 Mar), void (1 Apr,
    00:30 in the hospital's zone)."""
    zone = timezone.get_current_timezone()
    ada, bo = PatientFactory(), PatientFactory()
    open_ = billed_on(ada, datetime.datetime(2026, 3, 3, 9, 0, tzinfo=zone))
    paid = billed_on(ada, datetime.datetime(2026, 3, 10, 9, 0, tzinfo=zone))
    void = billed_on(bo, datetime.datetime(2026, 4, 1, 0, 30, tzinfo=zone))
    services.payment_record(invoice=paid, amount=paid.total, method=PaymentMethod.CASH, by=None)
    services.invoice_void(invoice=void, reason="Wrong", by=None)
    return {"ada": ada, "bo": bo, "open": open_, "paid": paid, "void": void}


def found(api, **query) -> list[int]:
    bundle = parsed(api(url("invoice_search"), **query), Bundle)
    return sorted(int(resource.id) for resource in entries(bundle, InvoiceResource))


def test_it_searches_by_patient_number_status_and_date(api, world):
    w = {name: getattr(row, "pk", None) for name, row in world.items()}

    assert found(api, patient=f"Patient/{w['ada']}") == sorted([w["open"], w["paid"]])
    assert found(api, identifier=world["void"].number.lower()) == [w["void"]]
    assert found(api, identifier=f"{NUMBERS}|{world['void'].number}") == [w["void"]]
    assert found(api, identifier=f"http://other|{world['void'].number}") == []
    assert found(api, status="issued") == [w["open"]]
    assert found(api, status="balanced") == [w["paid"]]
    assert found(api, status="cancelled") == [w["void"]]
    assert found(api, status="issued,balanced") == sorted([w["open"], w["paid"]])
    assert found(api, date="2026-03") == sorted([w["open"], w["paid"]])
    assert found(api, date=["ge2026-03-05", "lt2026-04-01"]) == [w["paid"]]
    assert found(api, date="2026-04-01") == [w["void"]]  # 00:30 in the hospital's zone
    assert found(api, date="gt2026-03-10T08:00:00+00:00") == [w["paid"], w["void"]]
    assert found(api, patient=str(w["bo"]), status="cancelled") == [w["void"]]


def test_it_refuses_unknown_statuses_and_bad_dates(api):
    assert "status" in outcome_of(api(url("invoice_search"), status="paid"), 400)
    assert "date" in outcome_of(api(url("invoice_search"), date="March"), 400)
    assert "not supported" in outcome_of(api(url("invoice_search"), date="sa2026"), 400)


def test_it_pages_by_key_without_repeating_or_losing_one(api, world, django_assert_max_num_queries):
    api(url("invoice_search"), _count="1")  # the token, made on first use
    # The token (and its last use, once a minute), the throttle, the invoices with their
    # patients, their lines, the audit row: the same for 3 invoices as for 1.
    with django_assert_max_num_queries(6):
        parsed(api(url("invoice_search"), _count="3"), Bundle)
    first = parsed(api(url("invoice_search"), _count="2"), Bundle)
    second = parsed(api(link(first, "next")), Bundle)

    ids = [int(r.id) for r in entries(first) + entries(second)]
    assert ids == sorted(row.pk for row in (world["open"], world["paid"], world["void"]))
    assert link(second, "next") is None


def test_front_desk_billing_and_administrators_read_it_doctors_do_not(
    api,
    front_desk,
    billing_clerk,
    admin_user,
    doctor,
    outsider,
    fast_pdf,  # noqa: F811
):
    invoice = billed(PatientFactory())

    for user in (front_desk, billing_clerk, admin_user):
        parsed(api(url("invoice_read", invoice.pk), user=user), InvoiceResource)
        parsed(api(url("invoice_search"), user=user), Bundle)
    for user in (doctor, outsider):
        assert "may not read invoices" in outcome_of(
            api(url("invoice_read", invoice.pk), user=user), 403
        )
        outcome_of(api(url("invoice_search"), user=user), 403)


def test_every_read_is_the_patients_audit_row(api, front_desk, fast_pdf):  # noqa: F811
    ada, bo = PatientFactory(), PatientFactory()
    mine, theirs = billed(ada), billed(bo)
    before = AuditEvent.objects.filter(action="view").count()

    parsed(api(url("invoice_read", mine.pk), user=front_desk))
    parsed(api(url("invoice_search"), user=front_desk), Bundle)

    read, search = AuditEvent.objects.filter(action="view").order_by("pk")[before:]
    assert (read.actor_id, read.patient_id, read.object_type, read.object_id) == (
        front_desk.pk,
        ada.pk,
        "billing.invoice",
        str(mine.pk),
    )
    assert read.changes["resource_types"] == ["Invoice"]
    assert sorted(search.changes["patients"]) == sorted([ada.pk, bo.pk])
    assert theirs.patient_id == bo.pk


def test_the_patients_everything_holds_their_invoices_for_the_desk_not_the_doctor(
    api,
    front_desk,
    doctor,
    fast_pdf,  # noqa: F811
):
    patient = PatientFactory()
    invoice = billed(patient)
    billed(PatientFactory())  # another patient's

    def invoices_for(user) -> list[str]:
        bundle = parsed(api(url("patient_everything", patient.pk), user=user), Bundle)
        return [r.id for r in entries(bundle) if r.get_resource_type() == "Invoice"]

    assert invoices_for(front_desk) == [str(invoice.pk)]
    assert invoices_for(doctor) == []
