"""Input no page could take gets a 400 page that says what is wrong, not a server error."""

import pytest
from django.urls import reverse

from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_it_refuses_a_nul_character_with_a_message(login, front_desk):
    response = login(front_desk).post(
        reverse("patients:patient_create"), {"first_name": "Ann\x00", "last_name": "Lee"}
    )

    assert response.status_code == 400
    assert "NUL character (U+0000)" in response.content.decode()
    assert not Patient.objects.exists()


def test_it_refuses_a_nul_character_in_a_search(login, admin_user):
    response = login(admin_user).get(
        reverse("admin:appointments_appointment_changelist"), {"status__exact": "a\x00b"}
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "data",
    [{"action": "x", "_selected_action": "abc", "index": "0"}, {"action": "x", "index": "-1"}],
)
def test_it_refuses_an_admin_selection_that_is_no_record(login, admin_user, data):
    response = login(admin_user).post(reverse("admin:auth_user_changelist"), data)

    assert response.status_code == 400
    assert "Select the records" in response.content.decode()


def test_it_refuses_a_date_filter_that_is_no_year(login, admin_user):
    response = login(admin_user).get(
        reverse("admin:core_auditevent_changelist"), {"created_at__year": "9" * 20}
    )

    assert response.status_code == 400
    assert "date filter" in response.content.decode()


def test_it_answers_a_page_long_username_with_the_login_form(client):
    response = client.post(reverse("login"), {"username": "x" * 5000, "password": "x"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_names_the_missing_field_on_the_login_page(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})

    assert "This field is required." in response.content.decode()


def test_it_shows_junk_in_an_autocomplete_box_as_nothing_chosen(login, admin_user):
    response = login(admin_user).post(
        reverse("admin:doctors_timeoff_add"), {"doctor": "abc", "reason": "x"}
    )

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
