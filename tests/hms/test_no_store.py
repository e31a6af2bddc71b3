"""No page or file with patients' data is kept by a browser or proxy cache: every response of
the application says `Cache-Control: private, no-store` (core.middleware.NoStoreMiddleware);
static files, answered by WhiteNoise before it, keep their own caching."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.billing.conftest import fast_pdf  # noqa: F401 (issuing stores a PDF)
from tests.billing.factories import issued, medication
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]
    assert "public" not in directives


def test_it_keeps_a_patients_page_out_of_every_cache(login, front_desk):
    patient = PatientFactory()

    response = login(front_desk).get(reverse("patients:patient_detail", args=[patient.pk]))

    assert response.status_code == 200
    assert_not_stored(response)


def test_it_keeps_a_report_csv_out_of_every_cache(login, admin_user):
    medication(PatientFactory(), "Metformin")

    response = login(admin_user).get(reverse("reports:report_csv", args=["patient-health"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert_not_stored(response)


def test_it_keeps_an_invoice_pdf_out_of_every_cache(login, billing_clerk, fast_pdf):  # noqa: F811
    patient = PatientFactory()
    medication(patient, "Metformin")
    invoice = issued(patient)

    response = login(billing_clerk).get(reverse("billing:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_not_stored(response)


def test_it_keeps_the_login_page_and_refusals_out_of_every_cache(client, login, front_desk):
    assert_not_stored(client.get(reverse("login")))
    refused = login(front_desk).get(reverse("clinical:audit_list"))
    assert refused.status_code == 403
    assert_not_stored(refused)


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_it_leaves_static_files_to_their_own_caching():
    response = Client().get("/static/css/hms.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
