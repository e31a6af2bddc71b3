"""Who gets which billing page: DESIGN.md's roles, for every route."""

import pytest
from django.urls import reverse

from billing.models import Invoice
from tests.billing.factories import drafted, issued, surgery
from tests.conftest import ROLE_FIXTURES
from tests.factories import MedicationCostFactory, PatientFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db

ALL = {"billing_clerk", "admin_user"}
VIEWERS = ALL | {"front_desk"}


@pytest.fixture
def objects(fast_pdf):
    patient = PatientFactory()
    surgery(patient, "Cast")
    invoice = issued(PatientFactory())
    draft = drafted(patient)
    return {
        "patient": patient.pk,
        "invoice": invoice.pk,
        "draft": draft.pk,
        "line": draft.lines.first().pk,
        "medication": MedicationCostFactory().pk,
        "procedure": ProcedureFeeFactory().pk,
    }


# (route name, argument names, roles that get 200)
PAGES = [
    ("billing:ready_to_bill", [], ALL),
    ("billing:patient_billable", ["patient"], ALL),
    ("billing:invoice_list", [], VIEWERS),
    ("billing:invoice_detail", ["invoice"], VIEWERS),
    ("billing:invoice_detail", ["draft"], VIEWERS),
    ("billing:invoice_pdf", ["invoice"], VIEWERS),
    ("billing:invoice_print", ["invoice"], VIEWERS),
    ("billing:price_list", [], VIEWERS | {"doctor"}),
    ("billing:medicationcost_create", [], ALL),
    ("billing:medicationcost_update", ["medication"], ALL),
    ("billing:procedurefee_create", [], ALL),
    ("billing:procedurefee_update", ["procedure"], ALL),
    ("billing:settings_edit", [], VIEWERS),
]

# State changes: only billing clerks and administrators; everyone else 403, nothing changed.
ACTIONS = [
    ("billing:invoice_draft_create", ["patient"]),
    ("billing:invoice_draft_refresh", ["draft"]),
    ("billing:invoice_draft_update", ["draft"]),
    ("billing:invoice_line_create", ["draft"]),
    ("billing:invoice_line_delete", ["draft", "line"]),
    ("billing:invoice_issue", ["draft"]),
    ("billing:invoice_draft_delete", ["draft"]),
    ("billing:invoice_void", ["invoice"]),
    ("billing:payment_create", ["invoice"]),
    ("billing:medicationcost_create", []),
    ("billing:procedurefee_create", []),
    ("billing:settings_edit", []),
]


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize(("name", "args", "allowed"), PAGES, ids=lambda v: str(v))
def test_it_opens_each_page_to_its_roles_only(request, login, objects, role, name, args, allowed):
    client = login(request.getfixturevalue(role))

    response = client.get(reverse(name, args=[objects[a] for a in args]))

    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", ["front_desk", "doctor", "outsider"])
@pytest.mark.parametrize(("name", "args"), ACTIONS, ids=lambda v: str(v))
def test_it_refuses_changes_to_everyone_but_billing(request, login, objects, role, name, args):
    client = login(request.getfixturevalue(role))
    before = list(Invoice.objects.order_by("pk").values_list("pk", "status", "total"))

    response = client.post(
        reverse(name, args=[objects[a] for a in args]),
        {"reason": "x", "amount": "1.00", "method": "cash", "description": "x", "kind": "other"},
    )

    assert response.status_code == 403
    assert list(Invoice.objects.order_by("pk").values_list("pk", "status", "total")) == before


def test_it_sends_anonymous_visitors_to_the_login_page(client, objects):
    response = client.get(reverse("billing:invoice_pdf", args=[objects["invoice"]]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_hides_procedure_fees_from_doctors_and_shows_them_to_the_front_desk(
    login, doctor, front_desk
):
    ProcedureFeeFactory(name="Appendectomy")
    MedicationCostFactory(name="Metformin")

    seen_by_doctor = login(doctor).get(reverse("billing:price_list")).content.decode()
    assert "Metformin" in seen_by_doctor and "Appendectomy" not in seen_by_doctor
    seen_by_desk = login(front_desk).get(reverse("billing:price_list")).content.decode()
    assert "Metformin" in seen_by_desk and "Appendectomy" in seen_by_desk
    assert "Add a medication" not in seen_by_desk


def test_it_answers_404_for_an_unknown_invoice(login, billing_clerk):
    assert (
        login(billing_clerk).get(reverse("billing:invoice_detail", args=[999999])).status_code
        == 404
    )
