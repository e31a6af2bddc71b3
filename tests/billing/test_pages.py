"""The clerk's pages: ready to bill, draft review, issue, payments, void, lists and prices."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import BillingSettings, Invoice, InvoiceStatus, MedicationCost, Payment
from tests.billing.factories import drafted, issued, medication, surgery, visit
from tests.factories import MedicationCostFactory, PatientFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def clerk(login, billing_clerk, fast_pdf):
    return login(billing_clerk)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


class TestReadyToBill:
    def test_it_lists_patients_with_unbilled_items_newest_first_with_preview_totals(self, clerk):
        older, newer, billed = PatientFactory(), PatientFactory(), PatientFactory()
        surgery(older, "Cast", day=datetime.date(2024, 1, 5))
        surgery(newer, "Cast", day=datetime.date(2024, 3, 1))
        medication(newer, "Unlisted")
        surgery(billed, "Cast")
        issued(billed)
        PatientFactory()  # nothing recorded: nothing to bill

        page = clerk.get(reverse("billing:ready_to_bill"))

        rows = page.context["page"].rows
        assert [r.patient for r in rows] == [newer, older]
        assert [(r.items, r.unpriced, r.preview.total) for r in rows] == [
            (2, 1, D("50.00")),
            (1, 0, D("50.00")),
        ]
        assert "1 unpriced" in page.content.decode()

    def test_it_filters_by_patient_date_and_unpriced(self, clerk):
        ana = PatientFactory(first_name="Ana", last_name="Núñez", mrn="P0000777")
        bob = PatientFactory(first_name="Bob", last_name="Stone")
        surgery(ana, "Cast", day=datetime.date(2024, 5, 1))
        medication(bob, "Unlisted", day=datetime.date(2024, 1, 1))
        url = reverse("billing:ready_to_bill")

        def shown(**query):
            return [r.patient for r in clerk.get(url, query).context["page"].rows]

        assert shown(q="nunez") == [ana]
        assert shown(q="p0000777") == [ana]
        assert shown(since="2024-02-01") == [ana]
        assert shown(unpriced="on") == [bob]

    def test_it_runs_a_fixed_number_of_queries_for_many_patients(
        self, clerk, django_assert_max_num_queries
    ):
        MedicationCostFactory(name="Metformin", unit_cost=D("12.50"))
        for n in range(60):
            patient = PatientFactory()
            medication(patient, "Metformin")
            surgery(patient, "Cast", day=datetime.date(2024, 1, 1) + datetime.timedelta(days=n))
            visit(patient, fee="30.00")

        BillingSettings.load()
        # Session, user, 2 x permissions, settings, the page, the count, its patients, the
        # navigation's role, 3 x session save: never one per patient.
        with django_assert_max_num_queries(12):
            page = clerk.get(reverse("billing:ready_to_bill"))

        assert page.status_code == 200
        assert len(page.context["page"].rows) == 50
        assert page.context["page"].count == 60
        assert page.context["page"].rows[0].preview.total == D("92.50")

    def test_it_shows_a_patients_billable_items_without_clinical_notes(self, clerk):
        patient = PatientFactory()
        item = visit(patient, fee="80.00")
        item.diagnosis, item.notes = "Secret diagnosis", "Private notes"
        item.save()
        medication(patient, "Unlisted drug")

        page = clerk.get(reverse("billing:patient_billable", args=[patient.pk]))

        html = page.content.decode()
        assert "Consultation with Dr" in html and "Unlisted drug" in html and "unpriced" in html
        assert "Secret diagnosis" not in html and "Private notes" not in html
        assert "80.00" in html


class TestDraftToPaid:
    def test_it_drafts_reviews_issues_and_takes_payment(self, clerk, billing_clerk):
        patient = PatientFactory()
        surgery(patient, "Appendectomy")
        medication(patient, "Unlisted drug")
        ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))

        response = clerk.post(reverse("billing:invoice_draft_create", args=[patient.pk]))
        invoice = Invoice.objects.get(patient=patient)
        assert response.status_code == 302 and response.url == invoice.get_absolute_url()

        page = clerk.get(response.url)
        assert "unpriced" in page.content.decode()
        clerk.post(
            reverse("billing:invoice_line_create", args=[invoice.pk]),
            {"kind": "discount", "description": "Loyal patient", "amount": "40.00"},
        )
        issue_url = reverse("billing:invoice_issue", args=[invoice.pk])
        confirm = clerk.get(issue_url)
        shown = {
            "confirmed_total": confirm.context["confirmed_total"],
            "confirmed_lines": confirm.context["confirmed_lines"],
        }
        refused = clerk.post(issue_url, shown)
        assert refused.status_code == 400
        assert "unpriced" in refused.content.decode()

        issued_response = clerk.post(issue_url, {**shown, "confirm_unpriced": "on"})
        invoice.refresh_from_db()
        assert issued_response.status_code == 302
        assert invoice.status == InvoiceStatus.ISSUED and invoice.total == D("360.00")

        clerk.post(
            reverse("billing:payment_create", args=[invoice.pk]),
            {
                "amount": "60.00",
                "method": "card",
                "received_on": timezone.localdate(),
                "reference": "POS 1",
            },
        )
        page = clerk.get(invoice.get_absolute_url())
        assert page.context["state"] == ("partly_paid", "Partly paid")
        too_much = clerk.post(
            reverse("billing:payment_create", args=[invoice.pk]),
            {"amount": "300.01", "method": "cash", "received_on": timezone.localdate()},
        )
        assert too_much.status_code == 400
        assert "300.00" in too_much.content.decode()
        clerk.post(
            reverse("billing:payment_create", args=[invoice.pk]),
            {"amount": "300.00", "method": "cash", "received_on": timezone.localdate()},
        )

        page = clerk.get(invoice.get_absolute_url())
        assert page.context["state"] == ("paid", "Paid")
        assert Payment.objects.filter(invoice=invoice).count() == 2
        assert Payment.objects.filter(received_by=billing_clerk).count() == 2

    def test_it_sends_the_second_clerk_to_the_draft_already_made(self, clerk):
        patient = PatientFactory()
        first = drafted(patient)

        response = clerk.post(
            reverse("billing:invoice_draft_create", args=[patient.pk]), follow=True
        )

        assert response.redirect_chain[-1][0] == first.get_absolute_url()
        assert any("already has a draft" in m for m in messages_of(response))
        assert Invoice.objects.filter(patient=patient).count() == 1

    def test_it_removes_a_line_refreshes_and_deletes_a_draft(self, clerk):
        patient = PatientFactory()
        surgery(patient, "Cast")
        invoice = drafted(patient)
        line = invoice.lines.get()

        clerk.post(reverse("billing:invoice_line_delete", args=[invoice.pk, line.pk]))
        assert [x.kind for x in invoice.lines.all()] == ["minimum_charge"]
        clerk.post(reverse("billing:invoice_draft_refresh", args=[invoice.pk]))
        assert [x.kind for x in invoice.lines.all()] == ["surgery"]
        response = clerk.post(reverse("billing:invoice_draft_delete", args=[invoice.pk]))

        assert response.url == reverse("billing:ready_to_bill")
        assert not Invoice.objects.filter(pk=invoice.pk).exists()

    def test_it_voids_with_a_reason(self, clerk):
        invoice = issued()

        missing = clerk.post(reverse("billing:invoice_void", args=[invoice.pk]), {"reason": ""})
        assert missing.status_code == 400
        clerk.post(reverse("billing:invoice_void", args=[invoice.pk]), {"reason": "Duplicate"})

        page = clerk.get(invoice.get_absolute_url())
        assert page.context["state"] == ("void", "Void")
        assert "Duplicate" in page.content.decode()

    def test_it_sets_the_due_date_of_a_draft(self, clerk):
        invoice = drafted(PatientFactory())
        due = timezone.localdate() + datetime.timedelta(days=10)

        clerk.post(reverse("billing:invoice_draft_update", args=[invoice.pk]), {"due_date": due})

        invoice.refresh_from_db()
        assert invoice.due_date == due

    def test_it_shows_no_actions_to_the_front_desk(self, login, front_desk, fast_pdf):
        invoice = issued()

        html = login(front_desk).get(invoice.get_absolute_url()).content.decode()

        assert "Download PDF" in html and "Print view" in html
        assert "Record a payment" not in html and "Void invoice" not in html


class TestInvoiceList:
    @pytest.fixture
    def ledger(self, fast_pdf):
        today = timezone.localdate()
        unpaid = issued(PatientFactory(first_name="Una"))
        partly = issued(PatientFactory(first_name="Pat"))
        services.payment_record(invoice=partly, amount=D("20.00"), method="cash", by=None)
        paid = issued(PatientFactory(first_name="Paula"))
        services.payment_record(invoice=paid, amount=D("50.00"), method="cash", by=None)
        overdue = issued(PatientFactory(first_name="Otto"))
        Invoice.objects.filter(pk=overdue.pk).update()  # no-op: due dates stay frozen
        void = issued(PatientFactory(first_name="Vera"))
        services.invoice_void(invoice=void, reason="Duplicate", by=None)
        draft = drafted(PatientFactory(first_name="Dora"))
        return {
            "unpaid": unpaid,
            "partly": partly,
            "paid": paid,
            "void": void,
            "draft": draft,
            "today": today,
        }

    def test_it_filters_by_status_and_totals_what_is_shown(self, clerk, ledger):
        url = reverse("billing:invoice_list")

        def shown(**query):
            page = clerk.get(url, query)
            return {i.pk for i in page.context["page"].object_list}, page.context["totals"]

        everything, totals = shown()
        assert len(everything) == 6
        # 5 issued at 50.00; the void one is not counted, the draft has no total yet.
        assert (totals["invoiced"], totals["paid_total"], totals["balance"]) == (
            D("200.00"),
            D("70.00"),
            D("130.00"),
        )
        assert shown(status="partly_paid")[0] == {ledger["partly"].pk}
        assert shown(status="paid")[0] == {ledger["paid"].pk}
        assert shown(status="void")[0] == {ledger["void"].pk}
        assert shown(status="draft")[0] == {ledger["draft"].pk}
        assert len(shown(status="unpaid")[0]) == 2
        assert shown(q="Paula")[0] == {ledger["paid"].pk}
        assert shown(q=ledger["unpaid"].number)[0] == {ledger["unpaid"].pk}
        assert shown(date_from="2000-01-01", date_to="2000-12-31")[0] == set()

    def test_it_shows_overdue_invoices(self, clerk, ledger, monkeypatch):
        later = ledger["today"] + datetime.timedelta(days=400)
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)

        page = clerk.get(reverse("billing:invoice_list"), {"overdue": "on"})

        shown = {i.pk for i in page.context["page"].object_list}
        assert shown == {ledger["unpaid"].pk, ledger["partly"].pk, *[]} | {
            i.pk for i in Invoice.objects.filter(patient__first_name="Otto")
        }
        assert "Overdue" in page.content.decode()

    def test_it_lists_many_invoices_in_a_fixed_number_of_queries(
        self, clerk, django_assert_max_num_queries, fast_pdf
    ):
        for _ in range(60):
            invoice = issued()
            services.payment_record(invoice=invoice, amount=D("10.00"), method="cash", by=None)

        # Session, user, 2 x permissions, count, page, totals, the navigation's role,
        # 3 x session save: never one per invoice.
        with django_assert_max_num_queries(11):
            page = clerk.get(reverse("billing:invoice_list"))

        assert page.status_code == 200
        assert len(page.context["page"].object_list) == 50
        assert page.context["totals"]["count"] == 60


class TestPricesAndSettings:
    def test_it_adds_and_edits_medications_refusing_duplicate_names(self, clerk):
        response = clerk.post(
            reverse("billing:medicationcost_create"),
            {"name": " Metformin ", "unit_cost": "12.50", "is_active": "on"},
        )
        assert response.status_code == 302
        metformin = MedicationCost.objects.get()
        assert metformin.name == "Metformin"

        duplicate = clerk.post(
            reverse("billing:medicationcost_create"),
            {"name": "METFORMIN", "unit_cost": "1.00", "is_active": "on"},
        )
        assert duplicate.status_code == 200
        assert "already exists" in duplicate.content.decode()

        clerk.post(
            reverse("billing:medicationcost_update", args=[metformin.pk]),
            {"name": "Metformin", "unit_cost": "13.00"},
        )
        metformin.refresh_from_db()
        assert (metformin.unit_cost, metformin.is_active) == (D("13.00"), False)

    def test_it_prefills_an_unpriced_name_and_returns_to_the_draft(self, clerk):
        draft = drafted(PatientFactory())
        page = clerk.get(
            reverse("billing:medicationcost_create"),
            {"name": "Lisinopril", "next": draft.get_absolute_url()},
        )
        assert page.context["form"]["name"].value() == "Lisinopril"

        response = clerk.post(
            reverse("billing:medicationcost_create"),
            {
                "name": "Lisinopril",
                "unit_cost": "7.25",
                "is_active": "on",
                "next": draft.get_absolute_url(),
            },
        )
        assert response.url == draft.get_absolute_url()

    def test_it_edits_procedures_and_searches_the_lists(self, clerk):
        clerk.post(
            reverse("billing:procedurefee_create"),
            {"name": "Appendectomy", "fee": "400.00", "is_active": "on"},
        )
        MedicationCostFactory(name="Aspirin")

        page = clerk.get(reverse("billing:price_list"), {"q": "append"})

        assert [p.name for p in page.context["procedures"]] == ["Appendectomy"]
        assert list(page.context["medications"]) == []

    def test_it_saves_settings_for_clerks_and_shows_them_read_only_to_the_front_desk(
        self, clerk, login, front_desk
    ):
        data = {
            "hospital_name": "St. Aurelia",
            "hospital_address": "1 Plaza",
            "tax_id": "X1",
            "currency": "EUR",
            "default_surgery_fee": "60.00",
            "minimum_charge": "45.00",
            "tax_rate": "0.0500",
            "payment_terms_days": "21",
            "payment_terms": "Within 21 days.",
        }
        assert clerk.post(reverse("billing:settings_edit"), data).status_code == 302
        assert BillingSettings.load().minimum_charge == D("45.00")

        desk = login(front_desk)
        page = desk.get(reverse("billing:settings_edit"))
        assert page.status_code == 200
        assert 'name="submit"' not in page.content.decode()
        assert desk.post(reverse("billing:settings_edit"), data).status_code == 403
