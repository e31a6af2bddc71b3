"""The visit page's conditions found carry an ICD-10-CM code picked as on the chart; completing
the visit records them coded. Nothing typed is lost on the way."""

import pytest
from django.urls import reverse

from clinical import services
from patients.icd10 import Icd10Code
from patients.models import HistoryKind
from tests.clinical.test_visit_keeps_typing import HTMX, NOTES, field_value, page

pytestmark = pytest.mark.django_db


def add(client, visit, **typed):
    url = reverse("clinical:visit_item_add", args=[visit.pk])
    return client.post(url, page(kind="condition", **typed), **HTMX)


def test_a_condition_picked_by_its_code_takes_the_code_and_its_title(login, doctor, visit):
    response = add(login(doctor), visit, **{"cond-icd10": "J45.909", "cond-description": ""})

    item = visit.visit_items.get()
    assert (item.icd10_id, item.description) == ("J45.909", "Unspecified asthma, uncomplicated")
    assert "J45.909" in response.text and "Added: Unspecified asthma" in response.text


def test_a_condition_in_words_only_stays_uncoded(login, doctor, visit):
    add(login(doctor), visit, **{"cond-icd10": "", "cond-description": "Tension headache"})

    item = visit.visit_items.get()
    assert (item.icd10_id, item.description) == (None, "Tension headache")


def test_a_code_not_picked_comes_back_as_typed_with_the_words(login, doctor, visit):
    response = add(
        login(doctor), visit, **{"cond-icd10": "asthm", "cond-description": "Wheezy chest"}
    )

    assert "Pick a code from the suggestions" in response.text
    assert field_value(response.text, "cond-icd10") == "asthm"
    assert field_value(response.text, "cond-description") == "Wheezy chest"
    assert "data-guard-changed" in response.text
    assert not visit.visit_items.exists()


def test_completing_records_the_condition_with_its_code(login, doctor, visit, patient):
    client = login(doctor)
    add(client, visit, **{"cond-icd10": "j45.909", "cond-description": "Asthma"})

    response = client.post(
        reverse("clinical:visit_complete", args=[visit.pk]), page(**{**NOTES, "diagnosis": ""})
    )

    assert response.status_code == 302
    (condition,) = patient.history.filter(kind=HistoryKind.CONDITION)
    assert (condition.description, condition.icd10_id, condition.attendance_id) == (
        "Asthma",
        "J45.909",
        visit.pk,
    )


def test_a_code_the_patient_already_has_active_is_not_recorded_twice(doctor, visit, patient):
    code = Icd10Code.objects.get(pk="J45.909")
    services.history_entry_create(
        patient=patient,
        kind=HistoryKind.CONDITION,
        description="Asthma since childhood",
        icd10=code,
        by=doctor,
    )
    services.visit_item_add(
        attendance=visit, kind="condition", description="", icd10=code, by=doctor
    )

    services.visit_complete(attendance=visit, by=doctor)

    assert patient.history.filter(kind=HistoryKind.CONDITION).count() == 1


def test_the_visit_page_offers_the_code_picker(login, doctor, visit):
    html = login(doctor).get(reverse("clinical:visit_record", args=[visit.pk])).text

    assert 'name="cond-icd10"' in html
    assert 'role="combobox"' in html
    assert f'hx-get="{reverse("clinical:icd10_suggestions")}"' in html
    assert "code_picker.js" in html
