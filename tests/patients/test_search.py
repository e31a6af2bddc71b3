"""One-box patient search and duplicate detection: what matches, in which order, and that
PostgreSQL answers from the indexes rather than reading the table."""

import datetime
import json

import pytest
from django.db import connection

from hms.dbroles import as_owner
from patients.selectors import (
    MAX_RANKED,
    page_of,
    parse_query,
    patient_duplicates,
    patient_search,
)
from tests.appointments.factories import bulk_patients, fill_patients_table
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def names(queryset):
    return [f"{p.first_name} {p.last_name}" for p in queryset]


@pytest.fixture
def people(db):
    return {
        "maria": PatientFactory(
            first_name="María",
            last_name="González",
            date_of_birth=datetime.date(1984, 3, 12),
            phone="+1 617 555 0134",
            mrn="P0000101",
        ),
        "mario": PatientFactory(first_name="Mario", last_name="Gonzales", phone="+1 617 555 9999"),
        "smith": PatientFactory(first_name="John", last_name="Smith"),
        "smithers": PatientFactory(first_name="Waylon", last_name="Smithers"),
        "noel": PatientFactory(first_name="Noël", last_name="Ångström"),
        "gone": PatientFactory(first_name="Maria", last_name="Gonzalez", is_active=False),
    }


def test_it_finds_an_mrn_exactly_and_case_blind(people):
    assert names(patient_search(query="p0000101")) == ["María González"]


def test_it_matches_names_without_accents_or_case(people):
    assert names(patient_search(query="maria gonzalez"))[0] == "María González"
    assert names(patient_search(query="NOEL angstrom")) == ["Noël Ångström"]


def test_it_matches_part_of_a_name_and_words_in_any_order(people):
    assert "María González" in names(patient_search(query="gonz"))
    assert names(patient_search(query="gonzalez maria"))[0] == "María González"


def test_it_tolerates_a_small_typo(people):
    assert "John Smith" in names(patient_search(query="smiht"))
    assert "María González" in names(patient_search(query="gonzales maria"))


def test_it_ranks_the_exact_name_before_longer_and_misspelt_ones(people):
    assert names(patient_search(query="smith"))[:2] == ["John Smith", "Waylon Smithers"]
    assert names(patient_search(query="mario gonzales"))[0] == "Mario Gonzales"


def test_it_hides_deactivated_patients_unless_asked(people):
    assert "Maria Gonzalez" not in names(patient_search(query="gonzalez"))
    assert "Maria Gonzalez" in names(patient_search(query="gonzalez", include_inactive=True))


def test_it_finds_by_phone_and_by_date_of_birth(people):
    assert names(patient_search(query="555 0134")) == ["María González"]
    assert names(patient_search(query="1984-03-12")) == ["María González"]
    assert names(patient_search(query="03/12/1984")) == ["María González"]  # the site's format


def test_it_does_not_search_names_shorter_than_three_letters(people):
    assert parse_query("ma").too_short
    assert list(patient_search(query="ma")) == []


def test_it_pages_results_and_counts_the_ranked_matches(db):
    for n in range(30):
        PatientFactory(first_name=f"Kim{n:02d}", last_name="Lindqvist")

    first = page_of(patient_search(query="lindqvist"), number=1, size=25)
    second = page_of(patient_search(query="lindqvist"), number=2, size=25)

    assert (len(first.items), first.has_next, first.matches) == (25, True, 30)
    assert (len(second.items), second.has_next) == (5, False)
    assert not first.truncated


def test_it_ranks_at_most_a_bounded_number_of_matches(db):
    bulk_patients(MAX_RANKED + 50, prefix="T")
    PatientFactory(first_name="Common", last_name="Lindqvist")
    for n in range(MAX_RANKED + 20):
        PatientFactory(first_name=f"Pat{n}", last_name="Lindqvist")

    page = page_of(patient_search(query="lindqvist"), number=1)

    assert page.matches == MAX_RANKED
    assert page.truncated


# --- duplicates -------------------------------------------------------------------------


def test_it_flags_same_last_name_and_birth_date_same_phone_and_close_name_same_year(people):
    born = datetime.date(1984, 3, 12)

    same_dob = patient_duplicates(first_name="Ana", last_name="GONZALEZ", date_of_birth=born)
    same_phone = patient_duplicates(first_name="X", last_name="Y", phone="+1 617 555 0134")
    close = patient_duplicates(
        first_name="Maria", last_name="Gonzales", date_of_birth=datetime.date(1984, 11, 2)
    )
    other_year = patient_duplicates(
        first_name="Maria", last_name="Gonzales", date_of_birth=datetime.date(1990, 1, 1)
    )

    maria = people["maria"]
    assert list(same_dob) == [maria]
    assert list(same_phone) == [maria]
    assert maria in close
    assert maria not in other_year


def test_it_does_not_flag_a_patient_as_their_own_duplicate(people):
    maria = people["maria"]
    found = patient_duplicates(
        first_name="María",
        last_name="González",
        date_of_birth=maria.date_of_birth,
        phone=maria.phone,
        exclude_pk=maria.pk,
    )
    assert maria not in found


# --- plans ----------------------------------------------------------------------------


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return json.dumps(cursor.fetchone()[0])


@pytest.fixture
def crowd(transactional_db):
    """A table big enough that PostgreSQL's own cost model decides (no planner switches).

    Committed, so that the owner role (only an owner may clean an index or gather a table's
    statistics, as autovacuum does for a live hospital) can see it.
    """
    fill_patients_table(30000)
    PatientFactory(
        first_name="María", last_name="González", mrn="P0000101", phone="+1 617 555 0134"
    )
    with as_owner(connection), connection.cursor() as cursor:
        # What autovacuum does to a live table: merge the GIN indexes' pending lists (a bulk
        # insert leaves every new entry there, which the planner rightly prices as a scan).
        for index in ("patients_name_trgm", "patients_last_name_trgm", "patients_phone_trgm"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE patients_patient")


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        ("gonzalez", ["patients_name_trgm", "patients_last_name_trgm"]),
        ("maria gonzales", ["patients_name_trgm", "patients_last_name_trgm"]),
        ("617 555 0134", ["patients_phone_trgm"]),
        ("1984-03-12", ["patients_dob_idx"]),
        ("P0000101", ["patients_patient_mrn"]),
    ],
)
def test_it_answers_a_search_from_the_indexes_without_reading_the_table(crowd, query, indexes):
    explained = plan(patient_search(query=query)[:26])

    assert '"Seq Scan"' not in explained
    for index in indexes:
        assert index in explained


def test_it_checks_duplicates_from_the_indexes(crowd):
    explained = plan(
        patient_duplicates(
            first_name="Maria",
            last_name="Gonzales",
            date_of_birth=datetime.date(1984, 3, 12),
            phone="+1 617 555 0134",
        )
    )

    assert '"Seq Scan"' not in explained
    assert "patients_dob_idx" in explained and "patients_phone_trgm" in explained


def test_it_does_not_flag_someone_who_only_shares_a_first_name_and_birth_year(db):
    PatientFactory(first_name="Daniel", last_name="Perez", date_of_birth=datetime.date(2007, 8, 2))
    misspelt = PatientFactory(
        first_name="Daniel", last_name="Nunes", date_of_birth=datetime.date(2007, 3, 1)
    )

    found = patient_duplicates(
        first_name="Daniel", last_name="Núñez", date_of_birth=datetime.date(2007, 12, 5)
    )

    assert list(found) == [misspelt]


def test_it_looks_up_an_mrn_shaped_query_as_an_mrn_only(people):
    parsed = parse_query("P0000101")

    assert parsed.mrn_shaped and parsed.name is None and not parsed.too_short
    assert names(patient_search(query="P0000101")) == ["María González"]
    assert list(patient_search(query="P9999999")) == []
