"""The admin pages of the clinical records: read-only, and opening one is audited."""

import pytest
from django.urls import reverse

from clinical import services
from core.models import AuditEvent
from tests.clinical.factories import MedicationGivenFactory
from tests.factories import MedicalHistoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_it_shows_revisions_read_only_and_records_who_opened_one(admin_client, admin_user, patient):
    entry = MedicalHistoryFactory(patient=patient, description="Asthma")
    services.history_entry_correct(
        entry=entry, data={"description": "Asthma, mild"}, reason="r", by=admin_user
    )
    revision = entry.revisions.get()
    assert (
        admin_client.get(reverse("admin:patients_medicalhistoryrevision_changelist")).status_code
        == 200
    )
    page = admin_client.get(
        reverse("admin:patients_medicalhistoryrevision_change", args=[revision.pk])
    )
    assert page.status_code == 200
    assert admin_client.get(reverse("admin:patients_medicalhistoryrevision_add")).status_code == 403
    assert AuditEvent.objects.filter(
        action="view", object_type="patients.medicalhistoryrevision", patient_id=patient.pk
    ).exists()


def test_it_lists_visit_items_read_only(admin_client, visit):
    item = MedicationGivenFactory(attendance=visit)
    assert admin_client.get(reverse("admin:clinical_visititem_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:clinical_visititem_change", args=[item.pk])).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:clinical_visititem_add")).status_code == 403
