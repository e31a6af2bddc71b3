"""Coded conditions in the FHIR API: `code.coding` with the ICD-10-CM system, code and title
for a coded condition (its words stay `code.text`), text only for one kept in words; the
`code` search parameter finds them by code. Every answer is parsed with fhir.resources R4B."""

import datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition

from clinical import services
from patients.icd10 import SYSTEM, Icd10Code
from patients.models import HistoryKind
from tests.factories import PatientFactory
from tests.fhir.conftest import entries, parsed, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def conditions(doctor):
    patient = PatientFactory()

    def condition(words: str, code: str | None = None):
        return services.history_entry_create(
            patient=patient,
            kind=HistoryKind.CONDITION,
            description=words,
            icd10=Icd10Code.objects.get(pk=code) if code else None,
            recorded_on=datetime.date(2024, 2, 1),
            by=doctor,
        )

    return {
        "asthma": condition("Asthma", "J45.909"),
        "diabetes": condition("Type 2 diabetes", "E11.9"),
        "words": condition("Feels tired"),
    }


def found(api, user, **query) -> list[int]:
    bundle = parsed(api(url("condition_search"), user=user, _count="100", **query), Bundle)
    return sorted(int(r.id) for r in entries(bundle))


def test_a_coded_condition_has_its_icd10_cm_coding_and_its_words(api, doctor, conditions):
    read = parsed(api(url("condition_read", conditions["asthma"].pk), user=doctor), Condition)

    assert read.code.text == "Asthma"
    (coding,) = read.code.coding
    assert (coding.system, coding.code, coding.display) == (
        "http://hl7.org/fhir/sid/icd-10-cm",
        "J45.909",
        "Unspecified asthma, uncomplicated",
    )


def test_an_uncoded_condition_has_its_words_only(api, doctor, conditions):
    read = parsed(api(url("condition_read", conditions["words"].pk), user=doctor), Condition)

    assert read.code.text == "Feels tired"
    assert read.code.coding is None


@pytest.mark.parametrize(
    "value", [f"{SYSTEM}|J45.909", "J45.909", "j45909", f"{SYSTEM}|E11.9,J45.909"]
)
def test_the_code_parameter_finds_conditions_by_their_code(api, doctor, conditions, value):
    wanted = [conditions["asthma"].pk]
    if "E11.9" in value:
        wanted.append(conditions["diabetes"].pk)

    assert found(api, doctor, code=value) == sorted(wanted)


def test_another_system_or_a_category_finds_nothing_and_a_bare_system_every_coded(
    api, doctor, conditions
):
    assert found(api, doctor, code="http://snomed.info/sct|195967001") == []
    assert found(api, doctor, code="J45") == []  # an exact code, not its descendants
    assert found(api, doctor, code=f"{SYSTEM}|") == sorted(
        [conditions["asthma"].pk, conditions["diabetes"].pk]
    )
