"""Where a patient's link leads: the patient page, not the Django admin."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_it_links_a_patient_to_the_patient_page(login, front_desk):
    patient = PatientFactory()

    url = patient.get_absolute_url()

    assert url == f"/patients/{patient.pk}/"
    assert login(front_desk).get(url).status_code == 200


def test_it_sends_the_admin_view_on_site_link_to_the_patient_page(login, admin_user):
    patient = PatientFactory()
    content_type = ContentType.objects.get_for_model(Patient)

    response = login(admin_user).get(
        reverse("admin:view_on_site", args=[content_type.pk, patient.pk])
    )

    assert response.status_code == 302
    assert response.url.endswith(f"/patients/{patient.pk}/")
