"""The demo hospital's coded problem list and note templates: registration conditions coded
with ICD-10-CM, visit diagnoses in words (uncoded, to be coded by a doctor), a template for a
few specialties and one for everyone."""

from io import StringIO

import pytest
from django.core.management import call_command

from clinical.models import NoteTemplate
from demo.note_templates import CONDITION_CODES, TEMPLATES
from patients.icd10 import Icd10Code
from patients.models import HistoryKind, MedicalHistory

pytestmark = pytest.mark.django_db

SMALL = {"patients": 300, "doctors": 5, "days": 20, "seed": 7}


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO(), **SMALL)


def test_every_demo_code_is_a_billable_code():
    codes = set(CONDITION_CODES.values())
    assert set(Icd10Code.objects.filter(pk__in=codes).values_list("pk", flat=True)) == codes


def test_the_demo_has_coded_and_uncoded_problems(seeded):
    conditions = MedicalHistory.objects.filter(kind=HistoryKind.CONDITION)
    coded = conditions.filter(icd10__isnull=False)

    assert coded.exists() and conditions.filter(icd10__isnull=True).exists()
    for description, code in coded.values_list("description", "icd10_id").distinct():
        assert CONDITION_CODES[description] == code
    # What doctors wrote at visits stays in their words.
    assert not conditions.filter(attendance__isnull=False, icd10__isnull=False).exists()


def test_the_demo_has_note_templates_once(seeded):
    names = set(NoteTemplate.objects.values_list("specialty__name", "name"))

    assert names == {(specialty, name) for specialty, name, *_ in TEMPLATES}
    call_command("seed_demo", stdout=StringIO(), force=True, **SMALL)
    assert NoteTemplate.objects.count() == len(TEMPLATES)
