"""Correcting a history entry in the Django admin names who corrected it and why."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.models import MedicalHistory, MedicalHistoryRevision
from patients.services import medical_history_update
from tests.factories import MedicalHistoryFactory

pytestmark = pytest.mark.django_db


def test_it_records_who_corrected_an_entry_in_the_admin(client, admin_user):
    entry = MedicalHistoryFactory(description="Asthma")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:patients_medicalhistory_change", args=[entry.pk]),
        {
            "kind": entry.kind,
            "description": "Mild asthma",
            "recorded_on": entry.recorded_on.isoformat(),
            "is_billable": "on" if entry.is_billable else "",
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.description, entry.version) == ("Mild asthma", 2)
    assert (entry.corrected_by_id, entry.correction_reason) == (
        admin_user.pk,
        "Corrected in admin",
    )
    revision = MedicalHistoryRevision.objects.get(entry=entry)
    assert (revision.description, revision.superseded_by_id) == ("Asthma", admin_user.pk)


def test_it_refuses_a_correction_without_a_reason(admin_user):
    entry = MedicalHistoryFactory(description="Asthma")

    with pytest.raises(ValidationError):
        medical_history_update(
            entry=entry, data={"description": "Mild asthma"}, updated_by=admin_user, reason=" "
        )

    assert MedicalHistory.objects.get(pk=entry.pk).description == "Asthma"
