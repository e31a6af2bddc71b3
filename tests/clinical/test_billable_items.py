"""A patient's billable items (for billing clerks): listed prices as money in the hospital's
currency, an item not on a price list as a dash."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.templatetags.money import NBSP
from patients.models import HistoryKind
from tests.billing.factories import settings
from tests.factories import MedicalHistoryFactory, MedicationCostFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db


def _item(patient, kind, description, **priced):
    return MedicalHistoryFactory(
        patient=patient, kind=kind, description=description, is_billable=True, **priced
    )


def _row(html: str, description: str) -> str:
    return html.split(f"<td>{description}</td>")[1].split("</tr>")[0]


def test_it_shows_listed_prices_with_separators_and_the_hospitals_currency(
    login, billing_clerk, patient
):
    settings(currency="EUR")
    drug = MedicationCostFactory(name="Imatinib", unit_cost=Decimal("1234.5"))
    hip = ProcedureFeeFactory(name="Hip replacement", fee=Decimal("101880.00"))
    _item(patient, HistoryKind.MEDICATION, "Imatinib", medication=drug, quantity=2)
    _item(patient, HistoryKind.SURGERY, "Hip replacement", procedure=hip)
    _item(patient, HistoryKind.MEDICATION, "Unlisted drug")

    with CaptureQueriesContext(connection) as queries:
        response = login(billing_clerk).get(reverse("clinical:billable_items", args=[patient.pk]))

    assert response.status_code == 200
    html = response.text
    assert f"EUR{NBSP}1,234.50</td>" in _row(html, "Imatinib")
    assert '<td class="num">2</td>' in _row(html, "Imatinib")  # the quantity stays a count
    assert f"EUR{NBSP}101,880.00</td>" in _row(html, "Hip replacement")
    assert "EUR" not in _row(html, "Unlisted drug") and "—" in _row(html, "Unlisted drug")
    # The currency is one query, not one per item.
    settings_reads = [q for q in queries.captured_queries if "billingsettings" in q["sql"]]
    assert len(settings_reads) == 1
