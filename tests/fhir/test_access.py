"""Who may call the API: DESIGN.md's roles, unchanged, by token or by a session that gave its
second factor; anyone else gets a 401 OperationOutcome, never the login page."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DoctorFactory, PatientFactory
from tests.fhir.conftest import outcome_of, parsed, url

pytestmark = pytest.mark.django_db

# Every role reads demographics and doctors (DESIGN.md's table); a user without a role nothing.
READERS = ["front_desk", "doctor", "billing_clerk", "admin_user"]


@pytest.fixture
def records(db):
    return {"Patient": PatientFactory(), "Practitioner": DoctorFactory()}


TYPES = [
    ("Patient", "Patient"),
    ("Practitioner", "Practitioner"),
    ("PractitionerRole", "Practitioner"),
]


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize(("type_name", "record"), TYPES)
def test_each_role_reads_what_its_pages_show(request, api, records, role, type_name, record):
    user = request.getfixturevalue(role)
    pk = records[record].pk

    assert parsed(api(url(f"{type_name.lower()}_read", pk), user=user)).id == str(pk)
    assert parsed(api(url(f"{type_name.lower()}_search"), user=user)).type == "searchset"


@pytest.mark.parametrize(("type_name", "record"), TYPES)
def test_a_user_without_a_role_is_refused_every_type(api, outsider, records, type_name, record):
    read = api(url(f"{type_name.lower()}_read", records[record].pk), user=outsider)
    search = api(url(f"{type_name.lower()}_search"), user=outsider)

    assert "may not read" in outcome_of(read, 403)
    assert "may not read" in outcome_of(search, 403)


def test_an_anonymous_call_is_a_401_never_the_login_page(client, records):
    for path in (url("patient_search"), url("patient_read", records["Patient"].pk), "/fhir/x"):
        response = client.get(path)
        assert "Send an API token" in outcome_of(response, 401)
        assert response["WWW-Authenticate"] == 'Bearer realm="HMS FHIR API"'


@pytest.mark.parametrize("role", READERS)
def test_a_signed_in_browser_reads_with_its_session(login, request, records, role):
    client = login(request.getfixturevalue(role))

    assert parsed(client.get(url("patient_read", records["Patient"].pk))).id


@pytest.mark.parametrize("has_device", [True, False])
def test_a_session_that_owes_its_second_factor_is_a_401_not_a_redirect(
    client, doctor, records, has_device
):
    """Password given, code (or enrolment) not yet: the pages send the browser to that step;
    the API answers 401 as JSON."""
    if has_device:
        TOTPDevice.objects.create(user=doctor, name="Phone", confirmed=True)
    client.post(reverse("login"), {"username": "doctor", "password": "correct-horse-battery"})

    response = client.get(url("patient_read", records["Patient"].pk))

    assert "second factor" in outcome_of(response, 401)
    assert client.get(reverse("patients:patient_list")).status_code == 302  # pages: the step
