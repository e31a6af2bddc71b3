"""The coded problem list: the ICD-10-CM code set, search by code or words, coding a condition
(a correction that keeps the version before), the chart's groups, and who may do it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinical import selectors, services
from core.models import AuditEvent
from patients.icd10 import Icd10Code, code_prefix
from patients.models import HistoryKind, MedicalHistory

pytestmark = pytest.mark.django_db


def codes(text: str, limit: int = 20) -> list[str]:
    return [code for code, _ in selectors.icd10_search(text=text, limit=limit)]


@pytest.fixture
def asthma(patient, doctor):
    """A condition written in words, as the seed and the workbook bring them."""
    return services.history_entry_create(
        patient=patient,
        kind=HistoryKind.CONDITION,
        description="Asthma",
        recorded_on=datetime.date(2020, 5, 4),
        by=doctor,
    )


# --- The code set and its search ------------------------------------------------------------


def test_the_code_set_holds_the_billable_codes_with_their_titles():
    assert 70_000 < Icd10Code.objects.count() < 80_000
    assert Icd10Code.objects.get(pk="J45.909").title == "Unspecified asthma, uncomplicated"
    # Categories with subdivisions are no codes a condition is recorded with.
    assert not Icd10Code.objects.filter(pk__in=["J45", "J45.9", "J45.90"]).exists()
    assert Icd10Code.objects.filter(pk="S52.521A").exists()  # a seventh character


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("J45", "J45"), ("j45.9", "J45.9"), ("J45909", "J45.909"), (" e11.9 ", "E11.9")],
)
def test_a_typed_code_is_read_with_or_without_its_dot(typed, expected):
    assert code_prefix(typed) == expected


def test_words_are_not_read_as_codes():
    assert code_prefix("asthma") is None
    assert code_prefix("J45 asthma") is None


def test_a_word_lists_the_codes_whose_title_has_it_whole_words_first():
    found = codes("asthma")

    assert "J45.909" in found
    assert len(found) == 20
    # The titles where asthma is a word come before "antiasthmatics" (T48.6…).
    whole = [c for c in found if not c.startswith("T48")]
    assert found[: len(whole)] == whole
    assert {c[:3] for c in whole} == {"J45", "J82", "Z82"}
    # Shorter titles, the general ones, first.
    assert found[0] == "J45.998"  # "Other asthma"


def test_every_word_typed_must_be_in_the_title():
    found = selectors.icd10_search(text="severe persistent asthma", limit=20)

    assert sorted(code for code, _ in found) == ["J45.50", "J45.51", "J45.52"]
    assert found[0] == ("J45.50", "Severe persistent asthma, uncomplicated")
    assert all("Severe persistent asthma" in title for _, title in found)


def test_a_code_lists_the_codes_it_starts_in_code_order():
    found = codes("J45")

    assert found[:3] == ["J45.20", "J45.21", "J45.22"]
    assert all(code.startswith("J45.") for code in found)
    assert codes("j45.9") == ["J45.901", "J45.902", "J45.909", "J45.990", "J45.991", "J45.998"]
    assert codes("J45909") == ["J45.909"]


def test_case_and_accents_do_not_matter():
    found = selectors.icd10_search(text="SEZARY disease")
    assert found and all(title.startswith("Sézary disease") for _, title in found)
    assert "A52.16" in codes("charcot")  # "Charcôt's arthropathy (tabetic)"


def test_a_typo_still_finds_the_closest_titles():
    assert "J45.909" in codes("astma")


def test_too_little_typed_finds_nothing_and_the_limit_holds():
    assert codes("as") == []
    assert codes("") == []
    assert len(codes("fracture", limit=5)) == 5
    assert codes("Q99.99") == []  # no such code


@pytest.mark.parametrize(
    ("typed", "index"),
    [("J45", "patients_icd10code_pkey"), ("asthma", "patients_icd10code_words_trgm")],
)
def test_the_search_is_an_index_probe(typed, index):
    with CaptureQueriesContext(connection) as queries:
        selectors.icd10_search(text=typed)
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO patients_icd10code (code, title, words) VALUES ('Z99.99', 'x', ' x')",
        "UPDATE patients_icd10code SET title = 'x' WHERE code = 'J45.909'",
        "DELETE FROM patients_icd10code WHERE code = 'J45.909'",
    ],
)
def test_the_application_cannot_change_the_code_set(sql):
    with pytest.raises(ProgrammingError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert refused.value.__cause__.sqlstate == "42501"  # insufficient_privilege


# --- Coding a condition ---------------------------------------------------------------------


def test_coding_a_condition_is_a_correction_that_keeps_the_version_before(asthma, doctor):
    code = Icd10Code.objects.get(pk="J45.909")

    services.history_entry_correct(
        entry=asthma, data={"icd10": code}, reason="Coded as J45.909", by=doctor
    )

    asthma.refresh_from_db()
    assert (asthma.icd10_id, asthma.description, asthma.version) == ("J45.909", "Asthma", 2)
    (before,) = asthma.revisions.all()
    assert (before.version, before.icd10_id, before.description) == (1, None, "Asthma")
    event = AuditEvent.objects.filter(object_id=str(asthma.pk), action="update").get()
    assert event.changes["icd10"] == {"before": None, "after": "J45.909"}


def test_only_a_condition_carries_a_code(patient, doctor):
    code = Icd10Code.objects.get(pk="J45.909")
    with pytest.raises(ValidationError, match="Only a condition"):
        services.history_entry_create(
            patient=patient, kind=HistoryKind.SURGERY, description="Stent", icd10=code, by=doctor
        )
    surgery = services.history_entry_create(
        patient=patient, kind=HistoryKind.SURGERY, description="Stent", by=doctor
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicalHistory.objects.filter(pk=surgery.pk).update(icd10_id="J45.909")


def test_a_code_outside_the_set_is_refused_by_the_database(asthma):
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicalHistory.objects.filter(pk=asthma.pk).update(icd10_id="J45")
        with connection.cursor() as cursor:  # the foreign key is checked at commit
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_code_it_finds_the_code_typed_and_keeps_the_words(login, doctor, asthma):
    url = reverse("clinical:history_code", args=[asthma.pk])
    client = login(doctor)

    page = client.get(url)
    assert "uncoded" in page.text and "Asthma" in page.text

    refused = client.post(url, {"icd10": "J45"})
    assert refused.status_code == 200
    assert "J45 is not a billable ICD-10-CM code" in refused.text
    assert 'value="J45"' in refused.text  # what was typed comes back
    asthma.refresh_from_db()
    assert asthma.icd10_id is None

    done = client.post(url, {"icd10": "j45.909"})
    assert done.status_code == 302
    assert done["Location"].endswith(f"#entry-{asthma.pk}")
    asthma.refresh_from_db()
    assert (asthma.icd10_id, asthma.description, asthma.version) == ("J45.909", "Asthma", 2)
    assert asthma.correction_reason == "Coded as J45.909 (ICD-10-CM)"


def test_a_code_given_by_mistake_is_taken_back_by_a_correction(login, doctor, asthma):
    services.history_entry_correct(
        entry=asthma, data={"icd10": Icd10Code.objects.get(pk="J45.20")}, reason="x", by=doctor
    )
    response = login(doctor).post(
        reverse("clinical:history_correct", args=[asthma.pk]),
        {
            "icd10": "",
            "description": "Asthma",
            "recorded_on": "2020-05-04",
            "ended_on": "",
            "reason": "Not yet confirmed",
        },
    )

    assert response.status_code == 302
    asthma.refresh_from_db()
    assert (asthma.icd10_id, asthma.version) == (None, 3)
    assert [r.icd10_id for r in asthma.revisions.order_by("version")] == [None, "J45.20"]


def test_code_it_is_for_conditions_only(login, doctor, patient):
    allergy = services.history_entry_create(
        patient=patient, kind=HistoryKind.ALLERGY, description="Penicillin", by=doctor
    )
    response = login(doctor).get(reverse("clinical:history_code", args=[allergy.pk]))
    assert response.status_code == 404


def test_a_condition_added_with_a_code_only_takes_the_code_title(login, doctor, patient):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=condition"
    response = login(doctor).post(
        url, {"icd10": "E11.9", "description": "", "recorded_on": "2024-01-02"}
    )
    assert response.status_code == 302
    entry = patient.history.get()
    assert (entry.icd10_id, entry.description) == (
        "E11.9",
        "Type 2 diabetes mellitus without complications",
    )


def test_a_word_left_in_the_code_box_is_shown_again_with_what_to_do(login, doctor, patient):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=condition"
    response = login(doctor).post(
        url, {"icd10": "asthma", "description": "Asthma", "recorded_on": "2024-01-02"}
    )
    assert response.status_code == 200
    assert "Pick a code from the suggestions" in response.text
    assert 'value="asthma"' in response.text
    assert not patient.history.exists()


# --- The chart -------------------------------------------------------------------------------


def test_the_chart_groups_problems_by_status_with_code_and_title(login, doctor, patient, asthma):
    services.history_entry_create(
        patient=patient,
        kind=HistoryKind.CONDITION,
        description="Type 2 diabetes",
        icd10=Icd10Code.objects.get(pk="E11.9"),
        recorded_on=datetime.date(2019, 1, 1),
        by=doctor,
    )
    services.history_entry_create(
        patient=patient,
        kind=HistoryKind.CONDITION,
        description="Acute bronchitis",
        icd10=Icd10Code.objects.get(pk="J20.9"),
        recorded_on=datetime.date(2021, 1, 1),
        ended_on=datetime.date(2021, 2, 1),
        by=doctor,
    )

    page = login(doctor).get(reverse("clinical:chart", args=[patient.pk])).text

    active = page[page.index('data-testid="problems-active"') : page.index("problems-resolved")]
    resolved = page[page.index('data-testid="problems-resolved"') :]
    resolved = resolved[: resolved.index("</table>")]
    assert "E11.9" in active and "Type 2 diabetes mellitus without complications" in active
    assert "as written: Type 2 diabetes" in active
    assert "Asthma" in active and "uncoded" in active
    assert reverse("clinical:history_code", args=[asthma.pk]) in active
    assert "J20.9" in resolved and "Acute bronchitis, unspecified" in resolved
    assert "E11.9" not in resolved and "Asthma" not in resolved


def test_the_chart_reads_the_codes_with_the_history_whatever_their_number(login, doctor, patient):
    client = login(doctor)
    url = reverse("clinical:chart", args=[patient.pk])

    def queries_with(count: int) -> int:
        for code in Icd10Code.objects.order_by("code")[:count]:
            services.history_entry_create(
                patient=patient, kind=HistoryKind.CONDITION, description="c", icd10=code, by=doctor
            )
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert code.code in client.get(url).text
        return len(queries.captured_queries)

    assert queries_with(1) == queries_with(30)


# --- Who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "billing_clerk", "outsider"])
def test_only_those_who_record_conditions_search_codes_or_code_them(request, login, role, asthma):
    user = request.getfixturevalue(role)
    client = login(user)

    assert client.get(reverse("clinical:icd10_suggestions"), {"q": "asthma"}).status_code == 403
    url = reverse("clinical:history_code", args=[asthma.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"icd10": "J45.909"}).status_code == 403
    asthma.refresh_from_db()
    assert asthma.icd10_id is None


def test_a_billing_clerk_sees_no_problem_on_the_billable_items(login, billing_clerk, asthma):
    page = login(billing_clerk).get(reverse("clinical:billable_items", args=[asthma.patient_id]))
    assert page.status_code == 200
    assert "Asthma" not in page.text


def test_the_suggestions_list_codes_as_buttons_to_pick(login, doctor):
    client = login(doctor)
    url = reverse("clinical:icd10_suggestions")

    found = client.get(url, {"field": "cond-icd10", "cond-icd10": "asthma"})
    assert found.status_code == 200
    assert 'data-code="J45.909"' in found.text
    assert found.text.count("data-code-suggestion") == 20

    short = client.get(url, {"field": "cond-icd10", "cond-icd10": "as"})
    assert "Type three letters" in short.text

    none = client.get(url, {"q": "Q99.99"})
    assert "No billable ICD-10-CM code matches" in none.text
