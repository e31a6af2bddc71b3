"""Report pages show amounts as money in the hospital's currency ("EUR 1,234.50"); the CSV
download and `manage.py report` keep the plain numbers of the CSV contract."""

import csv
import datetime
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import InvoiceStatus, LineKind
from core.templatetags.money import NBSP
from reports.registry import REPORTS
from tests.billing.factories import settings, surgery, visit
from tests.factories import InvoiceFactory, InvoiceLineFactory, PatientFactory, ProcedureFeeFactory
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

D = Decimal


def eur(text: str) -> str:
    return f"EUR{NBSP}{text}"


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _row(html: str, mrn: str) -> str:
    return html.split(f"<td>{mrn}</td>")[1].split("</tr>")[0]


@pytest.fixture
def hip():
    """A patient whose next invoice is a 1,234.50 surgery and a 30.00 visit, 10 % tax."""
    settings(currency="EUR", tax_rate=D("0.1000"))
    patient = PatientFactory(mrn="P0001234")
    ProcedureFeeFactory(name="Hip replacement", fee=D("1234.50"))
    surgery(patient, "Hip replacement")
    visit(patient, fee="30.00")
    return patient


def test_patient_bills_shows_money_on_the_page_and_plain_numbers_in_the_csv(
    login, billing_clerk, hip
):
    client = login(billing_clerk)

    page = client.get(reverse("reports:report_detail", args=["patient-bills"]))

    row = _row(page.text, hip.mrn)
    # medication, surgery, consultation, total, unpriced (a count), tax, invoice total
    assert (
        f'<td class="num text-nowrap">{eur("0.00")}</td>'
        f'<td class="num text-nowrap">{eur("1,234.50")}</td>'
        f'<td class="num text-nowrap">{eur("30.00")}</td>'
        f'<td class="num text-nowrap">{eur("1,264.50")}</td>'
        '<td class="num">0</td>'
        f'<td class="num text-nowrap">{eur("126.45")}</td>'
        f'<td class="num text-nowrap">{eur("1,390.95")}</td>'
    ) in row
    cards = page.text.split('data-testid="bill-totals"')[1].split("<table")[0]
    assert eur("1,264.50") in cards  # the next invoices of all patients, before tax
    assert f"{eur('0.00')} · {eur('1,234.50')} · {eur('30.00')}" in cards
    assert f"entries billed at {eur('0.00')} until priced" in cards

    rows = _csv(client.get(reverse("reports:report_csv", args=["patient-bills"])))
    assert rows[1] == [
        hip.mrn,
        hip.full_name,
        "0.00",
        "1234.50",
        "30.00",
        "1264.50",
        "0",
        "126.45",
        "1390.95",
    ]


def test_revenue_shows_money_on_the_page_and_plain_numbers_in_the_csv_and_command(
    login, billing_clerk
):
    settings(currency="EUR")
    day = datetime.date(2024, 3, 5)
    invoice = InvoiceFactory(
        number="INV-2024-000001",
        status=InvoiceStatus.ISSUED,
        issued_at=at(day, 12),
        subtotal=D("1234.50"),
        total=D("1234.50"),
    )
    InvoiceLineFactory(invoice=invoice, kind=LineKind.SURGERY, amount=D("1234.50"))
    query = {"from": "2024-03-01", "to": "2024-03-31"}
    client = login(billing_clerk)

    page = client.get(reverse("reports:report_detail", args=["revenue"]), query)

    table = page.text.split('data-report-table="revenue"')[1].split("</table>")[0]
    row = table.split("<tbody>")[1]
    # invoiced, paid, outstanding: the month itself is no money
    assert (
        f'<td class="num text-nowrap">{eur("1,234.50")}</td>'
        f'<td class="num text-nowrap">{eur("0.00")}</td>'
        f'<td class="num text-nowrap">{eur("1,234.50")}</td>'
    ) in row
    assert "1234.50" not in row

    rows = _csv(client.get(reverse("reports:report_csv", args=["revenue"]), query))
    assert rows[1][:4] == ["2024-03", "1234.50", "0.00", "1234.50"]
    out = io.StringIO()
    call_command("report", "revenue", "--from", "2024-03-01", "--format", "csv", stdout=out)
    assert "2024-03,1234.50,0.00,1234.50" in out.getvalue()
    assert "EUR" not in out.getvalue()


def test_reports_without_money_columns_show_plain_numbers(login, admin_user):
    PatientFactory()
    page = login(admin_user).get(reverse("reports:report_detail", args=["demographics"]))
    assert "USD" not in page.text.split("<table")[1]


def test_a_money_column_must_be_one_of_the_reports_columns():
    with pytest.raises(ValueError, match="money columns it does not have"):
        replace(REPORTS["revenue"], money_columns=frozenset({"month", "revenu"}))
