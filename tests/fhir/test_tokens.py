"""Personal API tokens: made and revoked on the account's page (and revoked in the admin),
the secret shown once and stored only as its SHA-256; expired, revoked and unknown tokens
refused with 401 and `WWW-Authenticate: Bearer`."""

import datetime
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.patient import Patient as PatientResource

from core.models import AuditEvent
from fhir.models import ApiToken
from fhir.services import api_token_create
from tests.factories import PatientFactory
from tests.fhir.conftest import bearer, outcome_of, parsed, token_for, url

pytestmark = pytest.mark.django_db

INVALID = 'Bearer realm="HMS FHIR API", error="invalid_token"'


def make_on_the_page(client, name="Lab results", days="90") -> str:
    response = client.post(
        reverse("api_tokens:token_create"), {"name": name, "lifetime_days": days}
    )
    assert response.status_code == 200
    return re.search(r'value="(hms_[^"]+)"', response.content.decode())[1]


def test_the_account_page_makes_a_token_and_shows_it_once(login, front_desk):
    client = login(front_desk)
    assert "your API tokens" in client.get(reverse("accounts:two_step")).content.decode()

    secret = make_on_the_page(client)

    token = ApiToken.objects.get(user=front_desk)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix) and len(token.prefix) == 12
    assert secret not in str(list(ApiToken.objects.values_list()))  # only the hash is kept
    assert token.expires_at - timezone.now() > datetime.timedelta(days=89)
    listing = client.get(reverse("api_tokens:token_list")).content.decode()
    assert "Lab results" in listing and token.prefix in listing
    assert secret not in listing
    assert AuditEvent.objects.filter(object_type="fhir.apitoken", action="create").exists()


def test_a_new_token_reads_as_its_user(client, login, front_desk):
    secret = make_on_the_page(login(front_desk))
    patient = PatientFactory()
    client.logout()

    response = client.get(url("patient_read", patient.pk), headers=bearer(secret))

    assert parsed(response, PatientResource).id == str(patient.pk)


def test_the_page_refuses_a_nameless_or_invisible_name(login, front_desk):
    client = login(front_desk)
    for name in ("", "lab\u202e"):
        response = client.post(
            reverse("api_tokens:token_create"), {"name": name, "lifetime_days": "90"}
        )
        assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    too_long = client.post(
        reverse("api_tokens:token_create"), {"name": "x", "lifetime_days": "999"}
    )
    assert "invalid-feedback" in too_long.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_lives_a_year_at_most(front_desk):
    with pytest.raises(Exception, match="from one day to a year"):
        api_token_create(user=front_desk, name="x", lifetime_days=400, by=front_desk)


def test_it_notes_when_a_token_was_last_used(client, front_desk):
    secret = token_for(front_desk)
    token = ApiToken.objects.get(user=front_desk)
    assert token.last_used_at is None

    client.get(url("patient_search"), headers=bearer(secret))

    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < datetime.timedelta(seconds=10)


def test_it_refuses_unknown_expired_and_revoked_tokens(client, front_desk):
    revoked, expired = token_for(front_desk), token_for(front_desk)
    ApiToken.objects.filter(secret_hash=hashlib.sha256(revoked.encode()).hexdigest()).update(
        revoked_at=timezone.now()
    )
    ApiToken.objects.filter(secret_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        created_at=timezone.now() - datetime.timedelta(days=90),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    cases = {
        "hms_not-a-token": "not known",
        revoked: "was revoked",
        expired: "expired on",
    }
    for secret, expected in cases.items():
        response = client.get(url("patient_search"), headers=bearer(secret))
        assert expected in outcome_of(response, 401)
        assert response["WWW-Authenticate"] == INVALID
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer   "):
        response = client.get(url("patient_search"), headers={"Authorization": header})
        assert outcome_of(response, 401)
        assert response["WWW-Authenticate"] == INVALID


def test_a_token_of_a_deactivated_account_is_refused(client, front_desk):
    secret = token_for(front_desk)
    type(front_desk).objects.filter(pk=front_desk.pk).update(is_active=False)

    response = client.get(url("patient_search"), headers=bearer(secret))

    assert "deactivated" in outcome_of(response, 401)


def test_the_owner_revokes_a_token_on_the_page_and_it_stops_at_once(client, login, front_desk):
    secret = token_for(front_desk)
    token = ApiToken.objects.get(user=front_desk)
    assert client.get(url("patient_search"), headers=bearer(secret)).status_code == 200

    page = login(front_desk).post(reverse("api_tokens:token_revoke", args=[token.pk]))

    assert page.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert "was revoked" in outcome_of(
        client.get(url("patient_search"), headers=bearer(secret)), 401
    )
    assert AuditEvent.objects.filter(object_id=str(token.pk), action="update").exists()


def test_nobody_revokes_anothers_token_on_the_page(login, front_desk, billing_clerk):
    token_for(front_desk)
    token = ApiToken.objects.get(user=front_desk)

    response = login(billing_clerk).post(reverse("api_tokens:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_administrator_revokes_tokens_in_the_admin_and_sees_no_secret(
    login, admin_user, front_desk
):
    secret = token_for(front_desk)
    token = ApiToken.objects.get(user=front_desk)
    client = login(admin_user)

    change = client.get(reverse("admin:fhir_apitoken_change", args=[token.pk])).content.decode()
    assert token.prefix in change
    assert secret not in change and token.secret_hash not in change
    assert client.get(reverse("admin:fhir_apitoken_add")).status_code == 403

    response = client.post(
        reverse("admin:fhir_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
