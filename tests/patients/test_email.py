"""A patient's or doctor's e-mail address may have letters of any alphabet before the @
(RFC 6531): the registration form, the admin and the models take it; wrong ones are refused."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.models import Patient
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("patients:patient_create")
NEW_PATIENT = {
    "first_name": "Zoë",
    "last_name": "O'Brien",
    "date_of_birth": "1990-05-17",
    "sex": "female",
    "phone": "+353 1 555 0100",
}


def test_it_registers_a_patient_with_a_non_ascii_address(login, front_desk):
    response = login(front_desk).post(REGISTER, {**NEW_PATIENT, "email": "zoë.obrien@example.org"})

    patient = Patient.objects.get(last_name="O'Brien")
    assert response.status_code == 302
    assert patient.email == "zoë.obrien@example.org"


@pytest.mark.parametrize("email", ["not-an-email", "a b@example.org"])
def test_it_refuses_what_is_not_an_address(login, front_desk, email):
    response = login(front_desk).post(REGISTER, {**NEW_PATIENT, "email": email})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Patient.objects.exists()


def test_it_renders_a_box_the_browser_does_not_refuse_it_in(login, front_desk):
    # type="email" would have the browser block zoë.obrien@… before the form is sent.
    html = login(front_desk).get(REGISTER).content.decode()

    field = html[html.index('name="email"') - 200 : html.index('name="email"') + 200]
    assert 'type="text"' in field and 'inputmode="email"' in field
    assert 'type="email"' not in field


def test_it_takes_the_address_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    add = reverse("admin:patients_patient_add")

    html = client.get(add).content.decode()
    response = client.post(
        add,
        {
            "first_name": "José",
            "last_name": "Muñoz",
            "sex": "male",
            "email": "josé.muñoz@example.org",
        },
    )

    assert 'type="email"' not in html
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Patient.objects.get(last_name="Muñoz").email == "josé.muñoz@example.org"


@pytest.mark.parametrize("factory", [PatientFactory, DoctorFactory], ids=["patient", "doctor"])
def test_it_validates_the_address_on_the_models(factory):
    record = factory(email="zoë.obrien@example.org")
    record.full_clean()

    record.email = "a b@example.org"
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    assert "email" in refused.value.message_dict
