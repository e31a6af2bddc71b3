"""Issuing is irreversible, so it is confirmed first: the Issue button opens a page with the
invoice, the patient, the lines' count and the total with tax; only its POST issues, and a
draft that changed since the page was shown is not issued. Also the clerk's words on the
billing pages: amounts as money, no PDF SHA-256 for clerks, plain labels."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import Invoice, InvoiceStatus
from core.audit import AuditEvent
from core.templatetags.money import NBSP
from tests.billing.factories import drafted, issued, medication, settings, surgery, visit
from tests.factories import PatientFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db

D = Decimal


def usd(text: str) -> str:
    return f"USD{NBSP}{text}"


@pytest.fixture
def clerk(login, billing_clerk, fast_pdf):
    return login(billing_clerk)


@pytest.fixture
def draft():
    """Hip replacement 101,880.00 + consultation 80.00, 7.5 % tax: 109,607.00."""
    settings(currency="USD", tax_rate=D("0.0750"))
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="P0001815")
    ProcedureFeeFactory(name="Hip replacement", fee=D("101880.00"))
    surgery(patient, "Hip replacement")
    visit(patient, fee="80.00")
    return drafted(patient)


def url(invoice: Invoice) -> str:
    return reverse("billing:invoice_issue", args=[invoice.pk])


def confirmation(clerk, invoice: Invoice) -> dict[str, str]:
    """The hidden fields the confirmation page sends back with its button."""
    page = clerk.get(url(invoice))
    return {
        "confirmed_total": str(page.context["confirmed_total"]),
        "confirmed_lines": str(page.context["confirmed_lines"]),
    }


class TestConfirmation:
    def test_the_draft_page_leads_to_the_confirmation_instead_of_issuing(self, clerk, draft):
        html = clerk.get(draft.get_absolute_url()).content.decode()

        assert f'href="{url(draft)}"' in html and "Issue invoice…" in html
        assert 'name="confirm_unpriced"' not in html  # the tick is on the confirmation now
        assert "cannot be undone" in html

    def test_looking_at_the_confirmation_changes_nothing(self, clerk, draft):
        before = (AuditEvent.objects.count(), Invoice.objects.values().get(pk=draft.pk))

        page = clerk.get(url(draft))

        assert page.status_code == 200
        html = page.content.decode()
        assert "Issue this invoice?" in html
        assert f"Draft invoice #{draft.pk}" in html
        assert "Ada Lovelace · MRN P0001815" in html
        assert '<dd class="col-sm-7" data-testid="confirm-lines">2 lines</dd>' in html
        assert usd("101,960.00") in html and usd("7,647.00") in html
        assert f'data-testid="confirm-total">{usd("109,607.00")}</dd>' in html
        assert "Issuing cannot be undone." in html and "credit note" in html
        assert 'name="confirmed_total" value="109607.00"' in html
        assert 'name="confirmed_lines" value="2"' in html
        assert (AuditEvent.objects.count(), Invoice.objects.values().get(pk=draft.pk)) == before

    def test_the_confirming_post_issues_with_the_confirmed_total(self, clerk, draft):
        response = clerk.post(url(draft), confirmation(clerk, draft), follow=True)

        invoice = Invoice.objects.get(pk=draft.pk)
        assert invoice.status == InvoiceStatus.ISSUED and invoice.number
        assert invoice.total == D("109607.00")
        assert response.redirect_chain[-1][0] == invoice.get_absolute_url()
        said = [str(m) for m in response.context["messages"]]
        assert said == [
            f"Issued invoice {invoice.number} to Ada Lovelace for {usd('109,607.00')}. "
            "Its PDF is ready to download in a moment."
        ]

    def test_a_draft_changed_since_the_confirmation_is_not_issued_and_says_so(self, clerk, draft):
        shown = confirmation(clerk, draft)
        # Another clerk adds a charge meanwhile.
        services.invoice_line_add(
            invoice=draft, description="Copy of records", amount=D("20"), by=None
        )

        response = clerk.post(url(draft), shown)

        assert response.status_code == 409
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
        html = response.content.decode()
        assert "changed since you confirmed it" in html and "Nothing was issued" in html
        assert f"it now has 3 lines, not 2 and it now comes to {usd('109,628.50')}" in html
        assert f"not {usd('109,607.00')}" in html
        # The page shows the new figures, and its button now confirms those.
        assert 'name="confirmed_total" value="109628.50"' in html
        assert 'name="confirmed_lines" value="3"' in html
        again = clerk.post(url(draft), {"confirmed_total": "109628.50", "confirmed_lines": "3"})
        assert again.status_code == 302
        assert Invoice.objects.get(pk=draft.pk).total == D("109628.50")

    def test_a_new_tax_rate_since_the_confirmation_stops_the_issue_too(self, clerk, draft):
        shown = confirmation(clerk, draft)
        settings(tax_rate=D("0.1000"))

        response = clerk.post(url(draft), shown)

        assert response.status_code == 409
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
        assert f"it now comes to {usd('112,156.00')}, not {usd('109,607.00')}" in (
            response.content.decode()
        )

    def test_a_post_without_the_confirmed_figures_issues_nothing(self, clerk, draft):
        for data in (
            {},
            {"confirmed_total": "109607.00"},
            {"confirmed_total": "x", "confirmed_lines": "2"},
        ):
            response = clerk.post(url(draft), data)
            assert response.status_code == 400
            assert "Nothing was issued" in response.content.decode()
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT

    def test_unpriced_medications_need_the_tick_on_the_confirmation(self, clerk):
        patient = PatientFactory()
        medication(patient, "Unlisted drug")
        invoice = drafted(patient)
        shown = confirmation(clerk, invoice)

        page = clerk.get(url(invoice)).content.decode()
        assert (
            "not on the price list and billed at USD" in page and 'name="confirm_unpriced"' in page
        )
        refused = clerk.post(url(invoice), shown)
        assert refused.status_code == 400 and "unpriced" in refused.content.decode()
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT

        clerk.post(url(invoice), {**shown, "confirm_unpriced": "on"})
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED

    def test_an_issued_invoice_has_nothing_to_confirm(self, clerk):
        invoice = issued()

        response = clerk.get(url(invoice), follow=True)

        assert response.redirect_chain[-1][0] == invoice.get_absolute_url()
        assert any("already issued" in str(m) for m in response.context["messages"])

    def test_the_desk_may_not_see_or_use_the_confirmation(self, login, front_desk, draft):
        desk = login(front_desk)
        assert desk.get(url(draft)).status_code == 403
        assert (
            desk.post(
                url(draft), {"confirmed_total": "109607.00", "confirmed_lines": "2"}
            ).status_code
            == 403
        )
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT

    def test_the_service_refuses_other_figures_than_confirmed(self, draft):
        with pytest.raises(services.DraftChanged) as changed:
            services.invoice_issue(
                invoice=draft, by=None, confirmed_total=D("109607.00"), confirmed_lines=1
            )
        assert changed.value.terms.lines == 2
        assert "it now has 2 lines, not 1." in changed.value.messages[0]
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
        # Without confirmed figures (jobs, the demo, the tests' helpers) it issues as before.
        assert services.invoice_issue(invoice=draft, by=None).status == InvoiceStatus.ISSUED


class TestClerksWords:
    def test_amounts_have_separators_and_the_currency_on_the_billing_pages(
        self, clerk, billing_clerk, draft
    ):
        invoice = services.invoice_issue(invoice=draft, by=None)
        services.payment_record(
            invoice=invoice, amount=D("1234.56"), method="cash", by=billing_clerk
        )

        detail = clerk.get(invoice.get_absolute_url()).content.decode()
        assert usd("101,880.00") in detail  # a line
        assert f'data-testid="total">{usd("109,607.00")}' in detail
        assert f'data-testid="balance">{usd("108,372.44")}' in detail
        assert usd("1,234.56") in detail  # the payment
        assert "109607.00" not in detail.replace('value="108372.44"', "")  # inputs stay plain
        assert 'value="108372.44"' in detail  # the payment form's amount, a plain number

        listing = clerk.get(reverse("billing:invoice_list")).content.decode()
        assert usd("109,607.00") in listing and usd("108,372.44") in listing

        account = clerk.get(reverse("billing:patient_account", args=[invoice.patient.pk]))
        assert f"balance {usd('108,372.44')} of {usd('109,607.00')}" in account.content.decode()

        prices = clerk.get(reverse("billing:price_list")).content.decode()
        assert usd("101,880.00") in prices

        day = clerk.get(reverse("billing:cashier_day")).content.decode()
        assert usd("1,234.56") in day

    def test_the_invoice_list_shows_each_invoice_in_its_own_currency(self, clerk, draft):
        invoice = services.invoice_issue(invoice=draft, by=None)  # issued in USD
        settings(currency="EUR")  # the hospital changes currency afterwards
        eur = issued()  # the minimum charge 50.00 and 7.5 % tax: 53.75, issued in EUR

        listing = clerk.get(reverse("billing:invoice_list"))
        html = listing.content.decode()

        row = html.split(f'data-invoice="{invoice.pk}"')[1].split("</tr>")[0]
        assert usd("109,607.00") in row  # its total and balance, as issued
        assert "EUR" not in row
        eur_row = html.split(f'data-invoice="{eur.pk}"')[1].split("</tr>")[0]
        assert f"EUR{NBSP}53.75" in eur_row and "USD" not in eur_row
        # The totals strip adds both up in the hospital's currency.
        strip = html.split('data-testid="invoice-totals"')[1].split("</dl>")[0]
        assert f"EUR{NBSP}109,660.75" in strip

    def test_a_payment_is_confirmed_in_money(self, clerk, draft):
        invoice = services.invoice_issue(invoice=draft, by=None)

        response = clerk.post(
            reverse("billing:payment_create", args=[invoice.pk]),
            {"amount": "2000.00", "method": "card", "received_on": timezone.localdate()},
            follow=True,
        )

        said = [str(m) for m in response.context["messages"]]
        assert said == [f"Recorded {usd('2,000.00')} by Card."]

    def test_clerks_are_told_the_pdf_is_stored_and_administrators_see_its_fingerprint(
        self, clerk, login, admin_user
    ):
        invoice = issued()

        for_clerk = clerk.get(invoice.get_absolute_url()).content.decode()
        assert "SHA-256" not in for_clerk and invoice.pdf_sha256 not in for_clerk
        assert "Stored as issued" in for_clerk

        for_admin = login(admin_user).get(invoice.get_absolute_url()).content.decode()
        assert invoice.pdf_sha256 in for_admin and "Fingerprint (SHA-256)" in for_admin

    def test_the_settings_page_speaks_the_clerks_words(self, clerk):
        html = clerk.get(reverse("billing:settings_edit")).content.decode()

        assert "Days to pay" in html and "Payment terms days" not in html
        assert "Hospital&#x27;s tax number" in html or "Hospital's tax number" in html
        assert "0.0750 is 7.5 %" in html

    def test_drafting_says_draft_once(self, clerk, draft):
        patient = PatientFactory(first_name="Grace", last_name="Hopper")
        surgery(patient, "Cast")

        response = clerk.post(
            reverse("billing:invoice_draft_create", args=[patient.pk]), follow=True
        )

        invoice = Invoice.objects.get(patient=patient)
        said = [str(m) for m in response.context["messages"]]
        assert said == [
            f"Draft invoice #{invoice.pk} created for Grace Hopper: check its lines, then issue it."
        ]
        assert not any("Drafted Draft" in m for m in said)


def test_the_due_date_shown_is_the_one_issuing_gives(clerk, draft):
    page = clerk.get(url(draft))
    terms = page.context["terms"]
    assert terms.due_date == timezone.localdate() + datetime.timedelta(days=30)
    issued_invoice = services.invoice_issue(invoice=draft, by=None)
    assert issued_invoice.due_date == terms.due_date


def test_a_failed_print_batch_tells_the_clerk_what_to_do_and_only_admins_why(
    clerk, billing_clerk, login, admin_user
):
    from billing.models import BatchStatus, InvoiceBatch

    batch = InvoiceBatch.objects.create(
        requested_by=billing_clerk,
        invoice_ids=[1, 2],
        status=BatchStatus.FAILED,
        error="OSError: [Errno 28] No space left on device",
    )
    url = reverse("billing:batch_detail", args=[batch.pk])

    for_clerk = clerk.get(url).content.decode()
    assert "could not be put together into one PDF" in for_clerk
    assert "Errno" not in for_clerk and "OSError" not in for_clerk

    for_admin = login(admin_user).get(url).content.decode()
    assert "OSError: [Errno 28] No space left on device" in for_admin
