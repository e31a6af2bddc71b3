"""Visit note templates: per specialty, written by administrators in the admin, applied on the
visit page without ever losing what the doctor typed."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinical.models import NoteTemplate
from clinical.note_templates import note_templates_for, template_fill
from core.models import AuditEvent
from tests.clinical.test_visit_keeps_typing import HTMX, field_value, page
from tests.factories import SpecialtyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chest_pain(doctor):
    return NoteTemplate.objects.create(
        specialty=doctor.doctor.specialty,
        name="Chest pain",
        subjective="Onset, character, radiation of the pain:",
        objective="BP, pulse, heart sounds:",
        assessment="Likely cause:",
        plan="ECG; troponin; review.",
    )


@pytest.fixture
def follow_up(db):
    return NoteTemplate.objects.create(
        name="Follow-up", subjective="Since the last visit:", plan="Next review:"
    )


def apply(client, visit, template, replace=False, **typed):
    data = page(note_template=template.pk, **typed)
    if replace:
        data["template_replace"] = "1"
    url = reverse("clinical:visit_template_apply", args=[visit.pk])
    return client.post(url, data, **HTMX)


# --- The rule ---------------------------------------------------------------------------------


def test_a_template_fills_the_empty_fields_and_never_the_diagnosis(chest_pain):
    fill = template_fill(
        template=chest_pain,
        current={"concerns": "", "symptoms": "", "diagnosis": "", "notes": ""},
    )

    assert fill.values == {
        "concerns": "Onset, character, radiation of the pain:",
        "symptoms": "BP, pulse, heart sounds:",
        "diagnosis": "",
        "notes": "Assessment:\nLikely cause:\n\nPlan:\nECG; troponin; review.",
    }
    assert fill.kept == ()


def test_text_the_doctor_typed_is_kept_unless_the_doctor_says_replace(chest_pain):
    typed = {"concerns": "Pain since this morning", "symptoms": "", "notes": ""}

    kept = template_fill(template=chest_pain, current=typed)
    replaced = template_fill(template=chest_pain, current=typed, replace=True)

    assert kept.values["concerns"] == "Pain since this morning"
    assert kept.values["symptoms"] == "BP, pulse, heart sounds:"
    assert kept.kept == ("concerns",)
    assert replaced.values["concerns"] == "Onset, character, radiation of the pain:"
    assert replaced.kept == ()


def test_switching_templates_replaces_untouched_template_text_only(chest_pain, follow_up):
    after_first = template_fill(
        template=chest_pain, current={"concerns": "", "symptoms": "", "notes": ""}
    ).values
    after_first["symptoms"] += " 140/90"  # the doctor wrote into one field

    switched = template_fill(template=follow_up, current=after_first, others=[chest_pain])

    assert switched.values["concerns"] == "Since the last visit:"
    assert switched.values["notes"] == "Plan:\nNext review:"
    # The follow-up has no Objective: the doctor's findings stay whatever happens.
    assert switched.values["symptoms"] == "BP, pulse, heart sounds: 140/90"
    assert switched.kept == ()


def test_a_doctor_is_offered_the_templates_of_their_specialty_and_the_general_ones(
    doctor, chest_pain, follow_up
):
    NoteTemplate.objects.create(
        specialty=SpecialtyFactory(name="Ophthalmology"), name="Red eye", subjective="Where:"
    )
    NoteTemplate.objects.create(name="Old", subjective="x", is_active=False)

    offered = note_templates_for(specialty_id=doctor.doctor.specialty_id)

    assert offered == [chest_pain, follow_up]


def test_the_database_refuses_an_empty_template_or_a_repeated_name(chest_pain):
    with pytest.raises(IntegrityError), transaction.atomic():
        NoteTemplate.objects.create(name="Empty")
    with pytest.raises(IntegrityError), transaction.atomic():
        NoteTemplate.objects.create(
            specialty=chest_pain.specialty, name="Chest pain", subjective="again"
        )


# --- The visit page -------------------------------------------------------------------------


def test_the_visit_page_offers_the_templates(login, doctor, visit, chest_pain, follow_up):
    html = login(doctor).get(reverse("clinical:visit_record", args=[visit.pk])).text

    assert 'name="note_template"' in html
    assert "Chest pain" in html and "Follow-up" in html
    assert reverse("clinical:visit_template_apply", args=[visit.pk]) in html


def test_applying_answers_the_notes_section_filled_and_saves_nothing(
    login, doctor, visit, chest_pain
):
    response = apply(login(doctor), visit, chest_pain, diagnosis="Angina")

    html = response.text
    assert html.lstrip().startswith('<section id="visit-notes-section"')
    assert field_value(html, "concerns") == "Onset, character, radiation of the pain:"
    assert field_value(html, "diagnosis") == "Angina"
    assert "data-guard-changed" in html  # not saved yet: leaving asks
    visit.refresh_from_db()
    assert (visit.concerns, visit.diagnosis, visit.notes) == ("", "", "")


def test_applying_over_typed_text_keeps_it_and_asks(login, doctor, visit, chest_pain):
    client = login(doctor)

    asked = apply(client, visit, chest_pain, concerns="Crushing pain at rest")

    assert field_value(asked.text, "concerns") == "Crushing pain at rest"
    assert field_value(asked.text, "symptoms") == "BP, pulse, heart sounds:"
    assert "your text in Concerns is kept" in asked.text
    assert 'name="template_replace"' in asked.text

    replaced = apply(client, visit, chest_pain, replace=True, concerns="Crushing pain at rest")
    assert field_value(replaced.text, "concerns") == "Onset, character, radiation of the pain:"


def test_without_javascript_the_whole_page_comes_back_with_everything_typed(
    login, doctor, visit, chest_pain
):
    url = reverse("clinical:visit_template_apply", args=[visit.pk])
    data = page(
        note_template=chest_pain.pk,
        notes="Seen with his daughter",
        kind="",
        **{"cond-description": "Angina"},
    )

    html = login(doctor).post(url, data).text

    assert field_value(html, "notes") == "Seen with his daughter"
    assert field_value(html, "concerns") == "Onset, character, radiation of the pain:"
    assert field_value(html, "cond-description") == "Angina"
    assert "your text in Notes is kept" in html


def test_only_the_visits_own_doctor_applies_a_template(login, other_doctor, visit, chest_pain):
    response = apply(login(other_doctor), visit, chest_pain)
    assert response.status_code == 403


# --- The admin --------------------------------------------------------------------------------


def test_an_administrator_writes_a_template_in_the_admin(login, admin_user):
    specialty = SpecialtyFactory(name="Paediatrics")
    response = login(admin_user).post(
        reverse("admin:clinical_notetemplate_add"),
        {
            "specialty": specialty.pk,
            "name": "Well child",
            "subjective": "Feeding, sleep:",
            "objective": "Weight, height, milestones:",
            "assessment": "",
            "plan": "Vaccines due:",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    template = NoteTemplate.objects.get(name="Well child")
    assert template.specialty == specialty
    assert AuditEvent.objects.filter(
        object_type="clinical.notetemplate", object_id=str(template.pk), action="create"
    ).exists()
