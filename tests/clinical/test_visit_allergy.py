"""A medication given at the visit goes through the prescriptions' allergy check: stopped with
the allergy shown in its section (with htmx and without JavaScript, everything typed kept),
given only with a reason, kept on the item, in the audit log and in the database's CHECK; and
an allergy's drug class is one the check knows."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinical import drug_classes, services
from clinical.models import VisitItem
from core.models import AuditEvent
from patients.models import AllergyDrugClass, HistoryKind
from tests.factories import MedicalHistoryFactory, MedicationCostFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ALERT = "Penicillin (Hives and facial swelling; Severe)"


def give(visit, by, medication, **more):
    return services.visit_item_add(
        attendance=visit, kind=VisitItem.Kind.MEDICATION, medication=medication, by=by, **more
    )


# --- The service ----------------------------------------------------------------------------


def test_a_medication_matching_an_allergy_is_stopped_without_a_reason(
    doctor, visit, penicillin_allergy, amoxicillin
):
    for reason in ("", "   "):
        with pytest.raises(services.AllergyConflict) as stopped:
            give(visit, doctor, amoxicillin, quantity=2, override_reason=reason)
        assert stopped.value.allergies == [penicillin_allergy]
        assert ALERT in stopped.value.messages[0]
        assert "Type a reason to give it anyway" in stopped.value.messages[0]
    assert not VisitItem.objects.exists()
    assert not AuditEvent.objects.filter(object_type="clinical.visititem").exists()


def test_with_a_reason_the_item_and_its_audit_row_keep_the_alert_and_the_reason(
    doctor, visit, penicillin_allergy, amoxicillin
):
    item = give(visit, doctor, amoxicillin, quantity=2, override_reason=" Tolerated in 2024 ")
    item.refresh_from_db()
    assert (item.description, item.quantity) == ("Amoxicillin 500 mg capsules", 2)
    assert (item.allergy_alert, item.override_reason) == (ALERT, "Tolerated in 2024")
    event = AuditEvent.objects.get(object_type="clinical.visititem", action="create")
    assert event.changes["allergy_alert"] == {"before": None, "after": ALERT}
    assert event.changes["override_reason"] == {"before": None, "after": "Tolerated in 2024"}
    assert event.patient_id == visit.patient_id


def test_a_medication_matching_no_allergy_keeps_no_reason(doctor, visit, penicillin_allergy):
    paracetamol = MedicationCostFactory(name="Paracetamol 1 g")
    item = give(visit, doctor, paracetamol, override_reason="just because")
    assert (item.allergy_alert, item.override_reason) == ("", "")
    event = AuditEvent.objects.get(object_type="clinical.visititem", action="create")
    assert "override_reason" not in event.changes


def test_a_procedure_or_condition_is_never_checked(doctor, visit, penicillin_allergy):
    item = services.visit_item_add(
        attendance=visit, kind=VisitItem.Kind.CONDITION, description="Penicillin rash", by=doctor
    )
    assert item.allergy_alert == ""


def test_the_database_refuses_an_alert_kept_without_its_reason(
    doctor, visit, penicillin_allergy, amoxicillin
):
    """For the application's own login (the tests run as it), not only through the service."""
    item = give(visit, doctor, amoxicillin, override_reason="Desensitised")
    rows = VisitItem.objects.filter(pk=item.pk)
    with pytest.raises(IntegrityError, match="override_has_reason"), transaction.atomic():
        rows.update(override_reason="")
    with pytest.raises(IntegrityError, match="override_has_reason"), transaction.atomic():
        VisitItem.objects.create(
            attendance=visit,
            kind=VisitItem.Kind.MEDICATION,
            medication=amoxicillin,
            description=amoxicillin.name,
            allergy_alert=ALERT,
        )
    assert rows.get().override_reason == "Desensitised"


def test_the_database_refuses_a_misspelt_drug_class(doctor, patient, penicillin_allergy):
    with pytest.raises(IntegrityError, match="drug_class_valid"), transaction.atomic():
        MedicalHistoryFactory(
            patient=patient, kind=HistoryKind.ALLERGY, description="Amoxil", drug_class="penicilin"
        )
    with pytest.raises(IntegrityError, match="drug_class_valid"), transaction.atomic():
        type(penicillin_allergy).objects.filter(pk=penicillin_allergy.pk).update(
            drug_class="Penicillins"
        )
    # A correction through the history service hears why, before the database.
    with pytest.raises(ValidationError, match="not a valid choice"):
        services.history_entry_correct(
            entry=penicillin_allergy, data={"drug_class": "penicilin"}, reason="typo", by=doctor
        )
    penicillin_allergy.refresh_from_db()
    assert (penicillin_allergy.drug_class, penicillin_allergy.version) == ("penicillins", 1)


def test_the_check_knows_every_class_an_allergy_may_name():
    assert [c.key for c in drug_classes.CLASSES] == AllergyDrugClass.values
    assert drug_classes.CHOICES == AllergyDrugClass.choices
    assert all(c.members and c.names for c in drug_classes.CLASSES)


# --- The visit page -------------------------------------------------------------------------

NOTES = {"concerns": "Sore throat", "notes": "Febrile, tonsils enlarged"}


def page(medication, **more):
    return {
        "concerns": "",
        "symptoms": "",
        "diagnosis": "",
        "notes": "",
        "med-medication": medication.pk,
        "med-quantity": "3",
        "proc-procedure": "",
        "proc-description": "Throat swab",  # typed in another section, not added
        "cond-description": "",
        "rx-drug": "Paracetamol",  # typed in the prescription, not added
        **NOTES,
        "kind": "medication",
        **more,
    }


def add(client, visit, data, htmx=True):
    url = reverse("clinical:visit_item_add", args=[visit.pk])
    return client.post(url, data, **(HTMX if htmx else {}))


def alert_of(html: str) -> str:
    found = re.search(
        r'<div class="alert alert-danger"[^>]*data-testid="visit-allergy-alert".*?'
        r"</div>\s*</div>",
        html,
        re.S,
    )
    assert found, "no allergy alert in the medications section"
    return re.sub(r"\s+", " ", found.group(0))


def add_button(html: str) -> str:
    return re.sub(
        r"\s+", " ", re.search(r'<button [^>]*id="add-medication".*?</button>', html, re.S).group(0)
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_the_section_shows_the_allergy_and_keeps_everything_typed(
    login, doctor, visit, penicillin_allergy, amoxicillin, htmx
):
    response = add(login(doctor), visit, page(amoxicillin), htmx=htmx)
    assert response.status_code == 200
    html = response.text
    alert = alert_of(html)
    assert "Allergy: check before giving Amoxicillin 500 mg capsules" in alert
    assert (
        "<strong>Penicillin</strong>, reaction: Hives and facial swelling, severity: severe "
        "(Penicillins)" in alert
    )
    assert "Reason to give it despite the allergy" in alert
    assert f'name="med-override_for" value="{amoxicillin.pk}"' in alert
    assert "Give despite the allergy" in add_button(html)
    assert re.search(rf'<option value="{amoxicillin.pk}"[^>]*selected', html)
    assert 'value="3"' in html
    if htmx:
        assert html.lstrip().startswith('<section id="medication"')
    else:  # the whole page, everything typed anywhere on it in place
        assert "Febrile, tonsils enlarged" in html and "Sore throat" in html
        assert 'value="Throat swab"' in html
        assert 'value="Paracetamol"' in html
    assert not VisitItem.objects.exists()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_a_reason_typed_under_the_alert_gives_it(
    login, doctor, visit, penicillin_allergy, amoxicillin, htmx
):
    data = page(
        amoxicillin,
        **{"med-override_for": str(amoxicillin.pk), "med-override_reason": "Desensitised 2025"},
    )
    html = add(login(doctor), visit, data, htmx=htmx).text
    assert "Added: Amoxicillin 500 mg capsules × 3." in html
    assert f"Allergy overridden ({ALERT}): Desensitised 2025" in html
    assert "Add medication" in add_button(html)
    item = VisitItem.objects.get()
    assert (item.allergy_alert, item.override_reason) == (ALERT, "Desensitised 2025")
    if not htmx:
        assert "Febrile, tonsils enlarged" in html and 'value="Throat swab"' in html


def test_pressing_again_without_a_reason_asks_for_one(
    login, doctor, visit, penicillin_allergy, amoxicillin
):
    data = page(amoxicillin, **{"med-override_for": str(amoxicillin.pk)})
    html = add(login(doctor), visit, data).text
    assert "Type the reason to go on, or change the drug." in html
    assert "Give despite the allergy" in add_button(html)
    assert not VisitItem.objects.exists()


def test_a_reason_typed_for_one_medication_does_not_let_another_through(
    login, doctor, visit, penicillin_allergy, amoxicillin
):
    ampicillin = MedicationCostFactory(name="Ampicillin 250 mg")
    data = page(
        ampicillin,
        **{"med-override_for": str(amoxicillin.pk), "med-override_reason": "Desensitised"},
    )
    html = add(login(doctor), visit, data).text
    assert "Allergy: check before giving Ampicillin 250 mg" in alert_of(html)
    assert not VisitItem.objects.exists()
