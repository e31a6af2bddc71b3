"""A medication added to the history from the chart, or corrected to another drug, goes through
the prescriptions' allergy check: stopped with the allergy shown on the form (everything typed
kept), recorded only with a reason, kept on the entry, in its audit row, on the chart and in the
database's CHECK. What a visit gave or prescribed was checked then: completing the visit records
it without asking again."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinical import services
from clinical.models import VisitItem
from core.models import AuditEvent
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision
from tests.factories import MedicationCostFactory

pytestmark = pytest.mark.django_db

ALERT = "Penicillin (Hives and facial swelling; Severe)"


def record(patient, by, description, **more):
    return services.history_entry_create(
        patient=patient, kind=HistoryKind.MEDICATION, description=description, by=by, **more
    )


def medications(patient):
    return MedicalHistory.objects.filter(patient=patient, kind=HistoryKind.MEDICATION)


def created_event(entry):
    return AuditEvent.objects.get(
        object_type="patients.medicalhistory", object_id=str(entry.pk), action="create"
    )


# --- The service ----------------------------------------------------------------------------


def test_a_medication_matching_an_allergy_is_stopped_without_a_reason(
    doctor, patient, penicillin_allergy
):
    for reason in ("", "   "):
        with pytest.raises(services.AllergyConflict) as stopped:
            record(patient, doctor, "Amoxicillin 500 mg capsules", override_reason=reason)
        assert stopped.value.allergies == [penicillin_allergy]
        assert ALERT in stopped.value.messages[0]
        assert "Type a reason to record it anyway" in stopped.value.messages[0]
    assert not medications(patient).exists()


def test_with_a_reason_the_entry_and_its_audit_row_keep_the_alert_and_the_reason(
    doctor, patient, penicillin_allergy, amoxicillin
):
    entry = record(
        patient,
        doctor,
        amoxicillin.name,
        medication=amoxicillin,
        recorded_on=datetime.date(2025, 1, 6),
        override_reason=" Taken since 2024 without reaction ",
    )
    entry.refresh_from_db()
    assert (entry.description, entry.medication) == ("Amoxicillin 500 mg capsules", amoxicillin)
    assert (entry.allergy_alert, entry.override_reason) == (
        ALERT,
        "Taken since 2024 without reaction",
    )
    event = created_event(entry)
    assert event.changes["allergy_alert"] == {"before": None, "after": ALERT}
    assert event.changes["override_reason"] == {
        "before": None,
        "after": "Taken since 2024 without reaction",
    }
    assert event.patient_id == patient.pk


def test_a_medication_matching_no_allergy_keeps_no_alert_nor_reason(
    doctor, patient, penicillin_allergy
):
    entry = record(patient, doctor, "Paracetamol 1 g", override_reason="just because")
    entry.refresh_from_db()
    assert (entry.allergy_alert, entry.override_reason) == ("", "")
    changes = created_event(entry).changes
    assert "allergy_alert" not in changes and "override_reason" not in changes


def test_other_kinds_are_never_checked(doctor, patient, penicillin_allergy):
    entry = services.history_entry_create(
        patient=patient, kind=HistoryKind.CONDITION, description="Amoxicillin rash", by=doctor
    )
    assert entry.allergy_alert == ""


def test_the_database_refuses_an_alert_kept_without_its_reason(doctor, patient, penicillin_allergy):
    entry = record(patient, doctor, "Ampicillin 250 mg", override_reason="Desensitised")
    rows = MedicalHistory.objects.filter(pk=entry.pk)
    with pytest.raises(IntegrityError, match="override_has_reason"), transaction.atomic():
        rows.update(override_reason="")
    assert rows.get().override_reason == "Desensitised"


# --- Completing a visit ---------------------------------------------------------------------


def test_completing_a_visit_records_an_overridden_item_without_asking_again(
    doctor, patient, visit, penicillin_allergy, amoxicillin
):
    services.visit_item_add(
        attendance=visit,
        kind=VisitItem.Kind.MEDICATION,
        medication=amoxicillin,
        quantity=2,
        override_reason="Desensitised 2025",
        by=doctor,
    )
    services.prescription_create(
        attendance=visit,
        drug="Ampicillin 250 mg",
        dose=Decimal("250"),
        route="oral",
        frequency="tid",
        duration_days=5,
        quantity=15,
        override_reason="Tolerated before",
        by=doctor,
    )
    services.visit_complete(attendance=visit, by=doctor)

    visit.refresh_from_db()
    assert visit.completed_at is not None
    given = {
        e.description: (e.quantity, e.is_billable, e.override_reason)
        for e in medications(patient).filter(attendance=visit)
    }
    assert given == {
        "Amoxicillin 500 mg capsules": (2, True, "Desensitised 2025"),
        "Ampicillin 250 mg": (15, True, "Tolerated before"),
    }
    assert set(medications(patient).values_list("allergy_alert", flat=True)) == {ALERT}


def test_an_allergy_noted_after_the_drug_was_given_does_not_stop_the_visit(
    doctor, patient, visit, amoxicillin
):
    services.visit_item_add(
        attendance=visit, kind=VisitItem.Kind.MEDICATION, medication=amoxicillin, by=doctor
    )
    services.allergy_record(
        patient=patient, substance="Penicillin", drug_class="penicillins", by=doctor
    )
    services.visit_complete(attendance=visit, by=doctor)
    entry = medications(patient).get()
    assert (entry.description, entry.allergy_alert) == ("Amoxicillin 500 mg capsules", "")


# --- The chart's form -----------------------------------------------------------------------


def form_url(patient):
    return reverse("clinical:history_create", args=[patient.pk]) + "?kind=medication"


def alert_of(html: str) -> str:
    found = re.search(
        r'<div class="alert alert-danger"[^>]*data-testid="history-allergy-alert".*?'
        r"</div>\s*</div>",
        html,
        re.S,
    )
    assert found, "no allergy alert on the form"
    return re.sub(r"\s+", " ", found.group(0))


def test_the_form_shows_the_allergy_and_keeps_everything_typed(
    login, doctor, patient, penicillin_allergy, amoxicillin
):
    typed = {
        "medication": amoxicillin.pk,
        "description": "",
        "recorded_on": "2025-01-06",
        "ended_on": "2025-01-13",
    }
    response = login(doctor).post(form_url(patient), typed)
    assert response.status_code == 200
    html = response.text
    alert = alert_of(html)
    assert "Allergy: check before recording Amoxicillin 500 mg capsules" in alert
    assert (
        "<strong>Penicillin</strong>, reaction: Hives and facial swelling, severity: severe "
        "(Penicillins)" in alert
    )
    assert "Reason to record it despite the allergy" in alert
    assert 'name="override_for" value="Amoxicillin 500 mg capsules"' in alert
    assert 'value="Record despite the allergy"' in html
    assert re.search(rf'<option value="{amoxicillin.pk}"[^>]*selected', html)
    assert 'value="2025-01-06"' in html and 'value="2025-01-13"' in html
    assert not medications(patient).exists()

    # Pressing again without a reason asks for one.
    again = login(doctor).post(
        form_url(patient), {**typed, "override_for": "Amoxicillin 500 mg capsules"}
    )
    assert "Type the reason to go on, or change the drug." in again.text
    assert not medications(patient).exists()

    saved = login(doctor).post(
        form_url(patient),
        {
            **typed,
            "override_for": "Amoxicillin 500 mg capsules",
            "override_reason": "Taken since 2024 without reaction",
        },
    )
    assert saved.status_code == 302
    entry = medications(patient).get()
    assert (entry.allergy_alert, entry.override_reason) == (
        ALERT,
        "Taken since 2024 without reaction",
    )
    assert (entry.recorded_on, entry.ended_on) == (
        datetime.date(2025, 1, 6),
        datetime.date(2025, 1, 13),
    )
    chart = login(doctor).get(reverse("clinical:chart", args=[patient.pk])).text
    assert f"Allergy overridden ({ALERT}): Taken since 2024 without reaction" in chart


def test_a_reason_typed_for_one_drug_does_not_let_another_through(
    login, doctor, patient, penicillin_allergy, amoxicillin
):
    response = login(doctor).post(
        form_url(patient),
        {
            "medication": "",
            "description": "Ampicillin 250 mg",
            "recorded_on": "2025-01-06",
            "override_for": "Amoxicillin 500 mg capsules",
            "override_reason": "Desensitised",
        },
    )
    assert "Allergy: check before recording Ampicillin 250 mg" in alert_of(response.text)
    assert 'value="Ampicillin 250 mg"' in response.text
    assert not medications(patient).exists()


def test_a_drug_matching_no_allergy_is_added_at_once(login, doctor, patient, penicillin_allergy):
    paracetamol = MedicationCostFactory(name="Paracetamol 1 g")
    response = login(doctor).post(
        form_url(patient),
        {"medication": paracetamol.pk, "description": "", "recorded_on": "2025-01-06"},
    )
    assert response.status_code == 302
    entry = medications(patient).get()
    assert (entry.description, entry.allergy_alert, entry.override_reason) == (
        "Paracetamol 1 g",
        "",
        "",
    )


# --- The admin ------------------------------------------------------------------------------


def test_the_admin_adds_a_matching_medication_only_with_a_reason(
    client, admin_user, patient, penicillin_allergy, amoxicillin
):
    client.force_login(admin_user)
    data = {
        "patient": patient.pk,
        "kind": HistoryKind.MEDICATION,
        "description": amoxicillin.name,
        "medication": amoxicillin.pk,
        "procedure": "",
        "quantity": "1",
        "recorded_on": "2025-01-06",
        "ended_on": "",
        "attendance": "",
        "override_reason": "",
        "_save": "1",
    }
    url = reverse("admin:patients_medicalhistory_add")
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"Allergy recorded: {ALERT}. Type a reason to record it anyway." in response.text
    assert not medications(patient).exists()

    response = client.post(url, {**data, "override_reason": "Desensitised 2025"})
    assert response.status_code == 302
    entry = medications(patient).get()
    assert (entry.allergy_alert, entry.override_reason) == (ALERT, "Desensitised 2025")


# --- Correcting an entry --------------------------------------------------------------------


def correct(entry, by, description, **more):
    return services.history_entry_correct(
        entry=entry, data={"description": description}, reason="Wrong drug recorded", by=by, **more
    )


def updated_event(entry):
    return AuditEvent.objects.get(
        object_type="patients.medicalhistory", object_id=str(entry.pk), action="update"
    )


def test_a_correction_to_a_drug_matching_an_allergy_is_stopped_without_a_reason(
    doctor, patient, penicillin_allergy
):
    entry = record(patient, doctor, "Paracetamol 1 g")
    for reason in ("", "   "):
        with pytest.raises(services.AllergyConflict) as stopped:
            correct(entry, doctor, "Amoxicillin 500 mg", override_reason=reason)
        assert stopped.value.allergies == [penicillin_allergy]
        assert (
            f"Allergy recorded: {ALERT}. Type a reason to record it anyway."
            in (stopped.value.messages[0])
        )
    entry.refresh_from_db()
    assert (entry.description, entry.version, entry.allergy_alert) == ("Paracetamol 1 g", 1, "")
    assert not MedicalHistoryRevision.objects.filter(entry=entry).exists()
    assert not AuditEvent.objects.filter(object_id=str(entry.pk), action="update").exists()


def test_with_a_reason_the_corrected_entry_and_its_audit_row_keep_the_alert_and_the_reason(
    doctor, patient, penicillin_allergy
):
    entry = record(patient, doctor, "Paracetamol 1 g")
    correct(entry, doctor, "Amoxicillin 500 mg", override_reason=" Tolerated it in 2024 ")
    entry.refresh_from_db()
    assert (entry.description, entry.version) == ("Amoxicillin 500 mg", 2)
    assert (entry.allergy_alert, entry.override_reason) == (ALERT, "Tolerated it in 2024")
    assert MedicalHistoryRevision.objects.get(entry=entry).description == "Paracetamol 1 g"
    changes = updated_event(entry).changes
    assert changes["allergy_alert"] == {"before": "", "after": ALERT}
    assert changes["override_reason"] == {"before": "", "after": "Tolerated it in 2024"}
    assert changes["description"] == {"before": "Paracetamol 1 g", "after": "Amoxicillin 500 mg"}


def test_a_correction_to_a_drug_matching_nothing_clears_the_alert_it_kept(
    doctor, patient, penicillin_allergy, amoxicillin
):
    entry = record(
        patient, doctor, amoxicillin.name, medication=amoxicillin, override_reason="Desensitised"
    )
    services.history_entry_correct(
        entry=entry,
        data={"description": "Paracetamol 1 g", "medication": None},
        reason="It was paracetamol",
        override_reason="typed for nothing",
        by=doctor,
    )
    entry.refresh_from_db()
    assert (entry.description, entry.medication, entry.allergy_alert, entry.override_reason) == (
        "Paracetamol 1 g",
        None,
        "",
        "",
    )
    changes = updated_event(entry).changes
    assert changes["allergy_alert"] == {"before": ALERT, "after": ""}
    assert changes["override_reason"] == {"before": "Desensitised", "after": ""}


def test_a_correction_leaving_the_drug_as_it_was_keeps_its_alert_without_asking_again(
    doctor, patient, penicillin_allergy
):
    entry = record(patient, doctor, "Ampicillin 250 mg", override_reason="Desensitised")
    services.history_entry_correct(
        entry=entry,
        data={"ended_on": datetime.date(2025, 2, 1), "recorded_on": datetime.date(2025, 1, 6)},
        reason="Course ended",
        by=doctor,
    )
    entry.refresh_from_db()
    assert (entry.ended_on, entry.allergy_alert, entry.override_reason) == (
        datetime.date(2025, 2, 1),
        ALERT,
        "Desensitised",
    )
    assert "allergy_alert" not in updated_event(entry).changes


def correct_url(entry):
    return reverse("clinical:history_correct", args=[entry.pk])


def test_the_correction_form_shows_the_allergy_and_keeps_everything_typed(
    login, doctor, patient, penicillin_allergy, amoxicillin
):
    entry = record(patient, doctor, "Paracetamol 1 g", recorded_on=datetime.date(2025, 1, 6))
    typed = {
        "medication": amoxicillin.pk,
        "description": "",
        "recorded_on": "2025-01-05",
        "ended_on": "2025-01-12",
        "reason": "The pharmacy gave amoxicillin",
    }
    response = login(doctor).post(correct_url(entry), typed)
    assert response.status_code == 200
    html = response.text
    alert = alert_of(html)
    assert "Allergy: check before recording Amoxicillin 500 mg capsules" in alert
    assert "<strong>Penicillin</strong>, reaction: Hives and facial swelling" in alert
    assert "Reason to record it despite the allergy" in alert
    assert 'value="Save correction despite the allergy"' in html
    assert re.search(rf'<option value="{amoxicillin.pk}"[^>]*selected', html)
    assert 'value="2025-01-05"' in html and 'value="2025-01-12"' in html
    assert 'value="The pharmacy gave amoxicillin"' in html
    entry.refresh_from_db()
    assert (entry.description, entry.version) == ("Paracetamol 1 g", 1)

    again = login(doctor).post(
        correct_url(entry), {**typed, "override_for": "Amoxicillin 500 mg capsules"}
    )
    assert "Type the reason to go on, or change the drug." in again.text
    entry.refresh_from_db()
    assert entry.version == 1

    saved = login(doctor).post(
        correct_url(entry),
        {
            **typed,
            "override_for": "Amoxicillin 500 mg capsules",
            "override_reason": "Taken since 2024 without reaction",
        },
    )
    assert saved.status_code == 302
    entry.refresh_from_db()
    assert (entry.description, entry.medication, entry.version) == (
        "Amoxicillin 500 mg capsules",
        amoxicillin,
        2,
    )
    assert (entry.allergy_alert, entry.override_reason, entry.correction_reason) == (
        ALERT,
        "Taken since 2024 without reaction",
        "The pharmacy gave amoxicillin",
    )
    chart = login(doctor).get(reverse("clinical:chart", args=[patient.pk])).text
    assert f"Allergy overridden ({ALERT}): Taken since 2024 without reaction" in chart


def test_the_admin_corrects_to_a_matching_medication_only_with_a_reason(
    client, admin_user, doctor, patient, penicillin_allergy, amoxicillin
):
    entry = record(patient, doctor, "Paracetamol 1 g", recorded_on=datetime.date(2025, 1, 6))
    client.force_login(admin_user)
    data = {
        "description": amoxicillin.name,
        "medication": amoxicillin.pk,
        "procedure": "",
        "quantity": "1",
        "recorded_on": "2025-01-06",
        "ended_on": "",
        "reason": "The pharmacy gave amoxicillin",
        "correction_override_reason": "",
        "_save": "1",
    }
    url = reverse("admin:patients_medicalhistory_change", args=[entry.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"Allergy recorded: {ALERT}. Type a reason to record it anyway." in response.text
    assert 'value="The pharmacy gave amoxicillin"' in response.text
    entry.refresh_from_db()
    assert (entry.description, entry.version) == ("Paracetamol 1 g", 1)

    response = client.post(url, {**data, "correction_override_reason": "Desensitised 2025"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.description, entry.allergy_alert, entry.override_reason) == (
        amoxicillin.name,
        ALERT,
        "Desensitised 2025",
    )
