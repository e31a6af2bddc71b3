"""The user's Two-step sign-in page and the administrators' reset."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.views import ENROL_KEY
from core.models import AuditEvent
from tests.accounts.conftest import code_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_lets_a_front_desk_user_turn_it_on_and_off(login, front_desk):
    client = login(front_desk)
    assert "Off: your password alone" in client.get(reverse("accounts:two_step")).content.decode()
    client.get(reverse("accounts:enrol"))
    client.post(reverse("accounts:enrol"), {"code": code_for(client.session[ENROL_KEY])})
    assert "On: you sign in" in client.get(reverse("accounts:two_step")).content.decode()

    response = client.post(reverse("accounts:turn_off"))

    assert response.url == reverse("accounts:two_step")
    assert not TOTPDevice.objects.filter(user=front_desk).exists()
    assert not StaticDevice.objects.filter(user=front_desk).exists()
    assert client.get(reverse("home")).status_code == 200


def test_it_refuses_to_turn_it_off_for_a_doctor(login, doctor):
    client = login(doctor)

    assert client.post(reverse("accounts:turn_off")).status_code == 403
    assert TOTPDevice.objects.filter(user=doctor).exists()


def test_it_makes_new_recovery_codes_and_drops_the_old_ones(login, doctor):
    client = login(doctor)
    old = StaticDevice.objects.create(user=doctor, name="Recovery codes")
    old.token_set.create(token="oldcode2")

    response = client.post(reverse("accounts:recovery_codes_new"), follow=True)

    codes = response.context["codes"]
    assert len(codes) == 10 and "oldcode2" not in codes
    assert not StaticDevice.objects.filter(pk=old.pk).exists()


def test_it_resets_a_users_devices_for_an_administrator_and_audits_it(login, admin_user):
    nurse = UserFactory(username="lostphone")
    TOTPDevice.objects.create(user=nurse, name="Authenticator app")
    StaticDevice.objects.create(user=nurse, name="Recovery codes")
    client = login(admin_user)
    assert "lostphone" in client.get(reverse("accounts:staff_list")).content.decode()

    response = client.post(reverse("accounts:staff_reset", args=[nurse.pk]))

    assert response.url == reverse("accounts:staff_list")
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    event = AuditEvent.objects.get(actor=admin_user, object_id=str(nurse.pk))
    assert event.action == AuditEvent.Action.UPDATE
    assert event.object_type == "auth.user"
    assert event.changes["second_factor"] == {
        "before": ["Authenticator app", "Recovery codes"],
        "after": [],
    }


def test_it_lists_everyones_second_factor_in_few_queries(
    login, admin_user, django_assert_max_num_queries
):
    for n in range(30):
        user = UserFactory(username=f"staff{n}")
        if n % 2:
            TOTPDevice.objects.create(user=user, name="Authenticator app")
    client = login(admin_user)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:staff_list"))

    assert response.status_code == 200
    assert len(response.context["people"]) == 31
