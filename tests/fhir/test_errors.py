"""Every refusal is an OperationOutcome with the right status, never an HTML page or a 500
without one, anywhere under /fhir/."""

import dataclasses
import logging

import pytest
from django.test import Client

from core.models import AuditEvent
from fhir.registry import TYPES
from tests.factories import PatientFactory
from tests.fhir.conftest import bearer, outcome_of, token_for, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/fhir/R4/Immunization", "Unknown resource type 'Immunization'"),
        ("/fhir/R4/Immunization/1", "Unknown resource type 'Immunization'"),
        ("/fhir/R4/patient", "Unknown resource type 'patient'"),
        ("/fhir/R4/Patient/1/_history", "is not implemented"),
        ("/fhir/R4/Patient/", "is not implemented"),
        ("/fhir/R4/", "Nothing is served"),
        ("/fhir/R3/Patient", "Nothing is served"),
        ("/fhir/", "Nothing is served"),
    ],
)
def test_an_unknown_type_or_path_is_a_404(api, path, expected):
    assert expected in outcome_of(api(path), 404)


def test_an_unknown_id_is_a_404(api):
    for name, kind in TYPES.items():
        # A type with ids of its own shape (Slot: doctor-start-minutes) is asked one of it.
        unknown = "999999-203003040900-30" if kind.read_id else 999_999
        assert "There is no" in outcome_of(api(url(f"{name.lower()}_read", unknown)), 404)
    assert "There is no Patient" in outcome_of(api("/fhir/R4/Patient/007"), 404)


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "99999999999999999999", "1e3"])
def test_a_malformed_id_is_a_400(api, bad_id):
    assert "ids here are whole numbers" in outcome_of(api(f"/fhir/R4/Patient/{bad_id}"), 400)


def test_an_unknown_search_parameter_is_a_400_listing_the_supported_ones(api):
    message = outcome_of(api(url("patient_search"), family="Smith", _sort="name"), 400)

    assert "'_sort', 'family'" in message
    assert "Supported: identifier, name, birthdate, gender, _count" in message
    assert "Supported: specialty, practitioner" in outcome_of(
        api(url("practitionerrole_search"), **{"name:exact": "x"}), 400
    )


def test_a_lenient_client_gets_unknown_parameters_left_out(client, admin_user):
    PatientFactory(sex="male")
    response = client.get(
        url("patient_search"),
        {"family": "Smith", "gender": "male"},
        headers={**bearer(token_for(admin_user)), "Prefer": "handling=lenient"},
    )

    assert response.status_code == 200
    assert "family" not in response.json()["link"][0]["url"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1984-02-30", "not a date of the calendar"),
        ("1984-13", "not a date of the calendar"),
        ("84-01-01", "is not a date"),
        ("1984-01-01T10:00", "is not a date"),
        ("sa1984", "the prefix 'sa' is not supported"),
        ("ne1984", "the prefix 'ne' is not supported"),
        ("0000", "not a date of the calendar"),
    ],
)
def test_a_malformed_date_is_a_400(api, value, expected):
    assert expected in outcome_of(api(url("patient_search"), birthdate=value), 400)


def test_a_role_without_access_is_a_403(api, outsider):
    assert "may not read patients" in outcome_of(api(url("patient_search"), user=outsider), 403)


def test_a_write_is_a_405_saying_what_the_url_answers(client, admin_user):
    headers = bearer(token_for(admin_user))
    for method in (client.post, client.put, client.delete, client.patch):
        response = method(url("patient_search"), {}, headers=headers)
        assert "is not supported here" in outcome_of(response, 405)
        assert response["Allow"] == "GET, HEAD"
    assert outcome_of(client.post(url("metadata")), 405)


def test_a_session_write_without_its_csrf_token_is_a_403_outcome(admin_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)

    response = browser.post(url("patient_search"))

    assert "CSRF token" in outcome_of(response, 403)


def test_only_json_is_written(api, client, admin_user):
    assert "JSON only" in outcome_of(api(url("patient_search"), _format="xml"), 406)
    response = client.get(url("metadata"), headers={"Accept": "application/fhir+xml"})
    assert "JSON only" in outcome_of(response, 406)
    for accept in ("application/fhir+json", "application/json", "*/*", "text/html,*/*;q=0.8"):
        assert client.get(url("metadata"), headers={"Accept": accept}).status_code == 200


def test_a_nul_character_is_a_400_outcome_not_the_html_page(api):
    assert "NUL character" in outcome_of(api(url("patient_search"), name="a\x00b"), 400)


def test_an_unexpected_error_is_logged_and_answered_as_an_outcome(api, monkeypatch, caplog):
    patient = PatientFactory()

    def broken(row):
        raise RuntimeError("mapping bug")

    monkeypatch.setitem(TYPES, "Patient", dataclasses.replace(TYPES["Patient"], to_resource=broken))
    with caplog.at_level(logging.ERROR, logger="fhir.views"):
        response = api(url("patient_read", patient.pk))

    assert "the error is logged" in outcome_of(response, 500)
    assert "mapping bug" in caplog.text
    assert not AuditEvent.objects.filter(action="view").exists()  # nothing was shown
