"""Registering a patient at the desk: an age instead of an unknown date of birth (the import's
rule for an `Age`), and the likely-duplicates warning first on the page, focused, with every
typed value kept."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from imports.matching import date_of_birth as imported_date_of_birth
from patients.ages import age_on, estimated_birth_date
from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NEW = {
    "first_name": "Amara",
    "last_name": "Okonkwo",
    "sex": "female",
    "phone": "+44 20 7946 0958",
    "city": "Lagos",
}


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


def register(desk, **fields):
    return desk.post(reverse("patients:patient_create"), {**NEW, **fields})


def test_an_age_alone_sets_an_estimated_date_of_birth_by_the_imports_rule(desk):
    today = timezone.localdate()

    response = register(desk, age="34")

    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Okonkwo")
    assert patient.date_of_birth == datetime.date(today.year - 34, 1, 1)
    assert patient.dob_is_estimated and patient.age == 34
    # One rule: the workbook import gives an Age of 34 the same date.
    assert imported_date_of_birth(34, None, False, today) == (patient.date_of_birth, True)


def test_an_age_that_agrees_with_the_date_of_birth_keeps_the_date(desk):
    today = timezone.localdate()
    born = datetime.date(today.year - 40, 1, 1) - datetime.timedelta(days=200)

    register(desk, date_of_birth=born.isoformat(), age=str(age_on(born, today)))

    patient = Patient.objects.get(last_name="Okonkwo")
    assert (patient.date_of_birth, patient.dob_is_estimated) == (born, False)


def test_an_age_that_disagrees_is_refused_with_what_was_typed_kept(desk):
    born = timezone.localdate().replace(year=timezone.localdate().year - 40) - datetime.timedelta(
        days=1
    )

    response = register(desk, date_of_birth=born.isoformat(), age="25")

    assert response.status_code == 200
    assert not Patient.objects.exists()
    html = response.content.decode()
    assert f"The date of birth {born:%Y-%m-%d} makes the patient 40 years old, not 25." in html
    assert 'name="age" value="25"' in html
    assert f'value="{born:%Y-%m-%d}"' in html and 'value="Amara"' in html
    assert 'value="Lagos"' in html


@pytest.mark.parametrize("age", ["-1", "126", "forty"])
def test_an_impossible_age_is_refused(desk, age):
    response = register(desk, age=age)

    assert response.status_code == 200
    assert not Patient.objects.exists()
    assert f'name="age" value="{age}"' in response.content.decode()


def test_without_date_or_age_the_date_of_birth_stays_unknown(desk):
    register(desk)

    patient = Patient.objects.get(last_name="Okonkwo")
    assert (patient.date_of_birth, patient.dob_is_estimated) == (None, False)


def test_the_form_has_an_age_field_and_guards_unsaved_changes(desk):
    html = desk.get(reverse("patients:patient_create")).content.decode()

    assert re.search(r"<label[^>]*for=\"id_age\"[^>]*>\s*Age \(years\)", html)
    assert '<form method="post" novalidate class="patient-form" data-guard-unsaved>' in html
    assert 'data-testid="duplicates"' not in html  # nothing to warn about yet


def test_the_duplicate_warning_comes_first_focused_and_keeps_what_was_typed(desk):
    today = timezone.localdate()
    twin = PatientFactory(
        first_name="Amara", last_name="OKONKWO", date_of_birth=estimated_birth_date(34, today)
    )

    response = register(desk, age="34", email="amara@example.org")

    assert response.status_code == 200
    assert not Patient.objects.filter(first_name="Amara").exclude(pk=twin.pk).exists()
    html = response.content.decode()
    warning = re.search(r"<div [^>]*data-testid=\"duplicates\"[^>]*>", html)
    assert warning, "the warning is shown"
    tag = warning.group(0)
    for attribute in ('role="alert"', 'tabindex="-1"', "autofocus", 'id="duplicates"'):
        assert attribute in tag, attribute
    # Inside the form (its tick is sent with it), before the first field.
    form_start = html.index('class="patient-form"')
    assert form_start < warning.start() < html.index('name="first_name"')
    assert twin.mrn in html
    for kept in ('value="Amara"', 'value="Okonkwo"', 'name="age" value="34"', 'value="Lagos"'):
        assert kept in html, kept
    assert 'value="amara@example.org"' in html
    assert "Register as a new patient" in html


def test_confirming_from_the_warning_registers_with_the_estimated_date(desk):
    today = timezone.localdate()
    twin = PatientFactory(last_name="Okonkwo", date_of_birth=estimated_birth_date(34, today))

    response = register(desk, age="34", not_duplicate="on", reviewed=str(twin.pk))

    assert response.status_code == 302
    patient = Patient.objects.exclude(pk=twin.pk).get(last_name="Okonkwo")
    assert patient.dob_is_estimated and patient.date_of_birth == estimated_birth_date(34, today)


def test_editing_a_patient_shows_no_duplicate_warning_and_keeps_the_estimate(desk):
    patient = PatientFactory(date_of_birth=datetime.date(1980, 1, 1), dob_is_estimated=True)
    url = reverse("patients:patient_update", args=[patient.pk])

    page = desk.get(url).content.decode()
    assert 'data-testid="duplicates"' not in page and "data-guard-unsaved" in page

    data = {**NEW, "date_of_birth": "1980-01-01", "dob_is_estimated": "on"}
    assert desk.post(url, data).status_code == 302
    patient.refresh_from_db()
    assert (patient.date_of_birth, patient.dob_is_estimated) == (datetime.date(1980, 1, 1), True)


def test_the_patient_page_lets_long_words_wrap_on_a_phone(desk):
    patient = PatientFactory(email="a.very.long.address.without.spaces@example-hospital.org")

    html = desk.get(reverse("patients:patient_detail", args=[patient.pk])).content.decode()

    assert '<dl class="row mb-0 text-break">' in html
    assert '<div class="d-flex flex-wrap gap-2">' in html  # the action buttons wrap
