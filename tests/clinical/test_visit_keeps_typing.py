"""The visit page never drops what a doctor typed: "Add …" and "Remove" answer htmx with their
own section only, and without JavaScript with the whole page as it was typed; saving the notes
or completing the visit keeps typing that was not added yet."""

import re

import pytest
from django.urls import reverse

from clinical.models import VisitItem
from core.models import AuditEvent
from patients.models import HistoryKind
from tests.clinical.factories import MedicationGivenFactory, ProcedurePerformedFactory
from tests.factories import MedicalHistoryFactory, MedicationCostFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# What the page's one form sends with any of its buttons when nothing is typed in it.
EMPTY_PAGE = {
    "concerns": "",
    "symptoms": "",
    "diagnosis": "",
    "notes": "",
    "med-medication": "",
    "med-quantity": "1",
    "proc-procedure": "",
    "proc-description": "",
    "cond-description": "",
}
NOTES = {
    "concerns": "Headache since Monday",
    "symptoms": "Photophobia",
    "diagnosis": "Migraine",
    "notes": "Review in two weeks",
}


def page(**typed: object) -> dict[str, object]:
    return {**EMPTY_PAGE, **typed}


def add_url(visit) -> str:
    return reverse("clinical:visit_item_add", args=[visit.pk])


def field_value(html: str, name: str) -> str:
    """The value a text input or text area of the page shows."""
    area = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    if area:
        return area.group(1)
    tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert tag, f"no field {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return option.group(1) if option else ""


class TestInPlace:
    """With htmx: the answer is the item's section, nothing else of the page."""

    def test_it_adds_a_medication_and_answers_with_its_section_only(self, login, doctor, visit):
        medication = MedicationCostFactory(name="Paracetamol 1 g")
        response = login(doctor).post(
            add_url(visit),
            page(
                **NOTES, kind="medication", **{"med-medication": medication.pk, "med-quantity": 2}
            ),
            **HTMX,
        )
        assert response.status_code == 200
        html = response.text
        assert html.lstrip().startswith('<section id="medication"')
        assert "Added: Paracetamol 1 g × 2." in html
        assert "Headache since Monday" not in html and 'name="concerns"' not in html
        assert selected(html, "med-medication") == ""  # ready for the next one
        # The item is noted; the notes, sent along, are not saved by adding an item.
        assert [(i.description, i.quantity) for i in visit.visit_items.all()] == [
            ("Paracetamol 1 g", 2)
        ]
        visit.refresh_from_db()
        assert visit.concerns == ""
        event = AuditEvent.objects.get(object_type="clinical.visititem", action="create")
        assert event.changes["description"] == {"before": None, "after": "Paracetamol 1 g"}

    def test_it_shows_the_errors_beside_the_item_and_keeps_what_was_typed(
        self, login, doctor, visit
    ):
        client = login(doctor)
        response = client.post(
            add_url(visit), page(kind="medication", **{"med-quantity": "3"}), **HTMX
        )
        assert "Choose the medication given." in response.text
        assert field_value(response.text, "med-quantity") == "3"
        assert "data-guard-changed" in response.text  # typed, not added: leaving asks

        response = client.post(add_url(visit), page(kind="condition"), **HTMX)
        assert response.text.lstrip().startswith('<section id="condition"')
        assert "Name the condition." in response.text
        assert "data-guard-changed" not in response.text  # nothing typed, nothing to lose
        assert not visit.visit_items.exists()

    def test_it_removes_an_item_keeping_what_is_typed_in_its_section(self, login, doctor, visit):
        kept, removed = ProcedurePerformedFactory.create_batch(2, attendance=visit)
        response = login(doctor).post(
            reverse("clinical:visit_item_remove", args=[visit.pk, removed.pk]),
            page(**NOTES, **{"proc-description": "Dressing, left knee"}),
            **HTMX,
        )
        html = response.text
        assert html.lstrip().startswith('<section id="surgery"')
        assert f"Removed: {removed.description}." in html
        table = re.search(r'<table .*?data-testid="visit-items".*?</table>', html, re.S).group(0)
        assert kept.description in table and removed.description not in table
        assert field_value(html, "proc-description") == "Dressing, left knee"
        assert list(visit.visit_items.all()) == [kept]
        assert AuditEvent.objects.filter(object_type="clinical.visititem", action="delete").exists()

    def test_it_answers_the_section_with_a_fixed_number_of_queries(
        self, login, doctor, visit, django_assert_max_num_queries
    ):
        MedicationGivenFactory.create_batch(5, attendance=visit)
        medication = MedicationCostFactory()
        client = login(doctor)
        with django_assert_max_num_queries(36):  # 34: the service and its checks
            client.post(
                add_url(visit),
                page(kind="medication", **{"med-medication": medication.pk}),
                **HTMX,
            )


class TestWithoutJavaScript:
    """The buttons post the whole page, which comes back with everything as typed."""

    def test_adding_an_item_shows_the_page_again_with_the_notes_as_typed(
        self, login, doctor, visit
    ):
        response = login(doctor).post(
            add_url(visit),
            page(
                **NOTES, kind="condition", **{"cond-description": "Asthma", "proc-description": "x"}
            ),
        )
        assert response.status_code == 200
        html = response.text
        for name, text in NOTES.items():
            assert field_value(html, name) == text
        assert "Added: Asthma." in html
        assert field_value(html, "cond-description") == ""
        assert field_value(html, "proc-description") == "x"  # typed elsewhere, not added yet
        assert "data-guard-changed" in html  # the notes are not saved yet
        assert [i.description for i in visit.visit_items.all()] == ["Asthma"]

    def test_removing_an_item_shows_the_page_again_with_the_notes_as_typed(
        self, login, doctor, visit
    ):
        item = MedicationGivenFactory(attendance=visit)
        response = login(doctor).post(
            reverse("clinical:visit_item_remove", args=[visit.pk, item.pk]), page(**NOTES)
        )
        assert response.status_code == 200
        assert field_value(response.text, "notes") == "Review in two weeks"
        assert f"Removed: {item}." in response.text
        assert not visit.visit_items.exists()

    def test_saving_the_notes_keeps_an_item_typed_and_not_added(self, login, doctor, visit):
        client = login(doctor)
        response = client.post(
            reverse("clinical:visit_record", args=[visit.pk]),
            page(**NOTES, **{"cond-description": "Hay fever"}),
        )
        assert response.status_code == 200
        assert "Visit notes saved." in response.text
        assert field_value(response.text, "cond-description") == "Hay fever"
        visit.refresh_from_db()
        assert visit.concerns == "Headache since Monday"

        # With nothing pending, saving goes back to the page as before.
        response = client.post(reverse("clinical:visit_record", args=[visit.pk]), page(**NOTES))
        assert response.status_code == 302

    def test_it_does_not_complete_while_an_item_is_typed_and_not_added(self, login, doctor, visit):
        medication = MedicationCostFactory(name="Salbutamol inhaler")
        response = login(doctor).post(
            reverse("clinical:visit_complete", args=[visit.pk]),
            page(**NOTES, **{"med-medication": medication.pk}),
        )
        assert response.status_code == 200
        assert "Not added yet: press “Add medication” or clear it to complete." in response.text
        assert selected(response.text, "med-medication") == str(medication.pk)
        assert field_value(response.text, "diagnosis") == "Migraine"
        visit.refresh_from_db()
        assert visit.completed_at is None


class TestConditionsFound:
    def test_completing_adds_them_to_the_conditions_once_and_unbilled(self, login, doctor, visit):
        MedicalHistoryFactory(patient=visit.patient, kind="condition", description="Asthma")
        client = login(doctor)
        for condition in ("Eczema", "asthma", "Migraine"):
            client.post(add_url(visit), page(kind="condition", **{"cond-description": condition}))
        assert visit.visit_items.filter(kind=VisitItem.Kind.CONDITION).count() == 3

        response = client.post(reverse("clinical:visit_complete", args=[visit.pk]), page(**NOTES))

        assert response.status_code == 302
        conditions = visit.patient.history.filter(kind=HistoryKind.CONDITION)
        assert sorted(conditions.values_list("description", flat=True)) == [
            "Asthma",
            "Eczema",
            "Migraine",  # the diagnosis and the condition found, once
        ]
        added = conditions.exclude(description="Asthma")
        assert {(e.attendance_id, e.is_billable) for e in added} == {(visit.pk, False)}
        assert not VisitItem.objects.exists()


def test_the_history_form_guards_unsaved_changes_and_says_so_when_shown_again(
    login, doctor, patient
):
    client = login(doctor)
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=condition"
    form = re.compile(r"<form [^>]*data-guard-unsaved[^>]*>")
    assert "data-guard-changed" not in form.search(client.get(url).text).group(0)
    response = client.post(url, {"description": "Gout", "recorded_on": "2999-01-01"})
    assert response.status_code == 200
    assert "data-guard-changed" in form.search(response.text).group(0)
