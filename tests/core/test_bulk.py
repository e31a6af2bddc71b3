"""core.bulk: COPY rows and text lines into a real PostgreSQL table and read them back."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core import bulk

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "label", "end", "born", "cost", "active")
TRICKY = [
    (1, "tab\there", "x", datetime.date(1950, 2, 28), Decimal("12.50"), True),
    (2, "two\nlines\r\nand a CR", None, None, None, None),
    (3, "back\\slash and a literal \\N", "", datetime.date(2024, 2, 29), Decimal("0.01"), False),
    (4, "Nguyễn Øvergaard — 東京 😀", 'O\'Brien "quoted", comma', None, Decimal("-3"), True),
    (5, "", "\\N", datetime.date(1, 1, 1), Decimal("999999.99"), False),
]


@pytest.fixture
def cursor():
    """A psycopg cursor of the test's connection, with an empty probe table (`end` is a
    keyword, so the column names must be quoted)."""
    with connection.cursor() as wrapper:
        wrapper.execute(
            'CREATE TEMPORARY TABLE bulk_probe (id integer PRIMARY KEY, label text, "end" text, '
            "born date, cost numeric(8, 2), active boolean)"
        )
        yield wrapper.cursor


def _read(cursor) -> list[tuple]:
    cursor.execute('SELECT id, label, "end", born, cost, active FROM bulk_probe ORDER BY id')
    return cursor.fetchall()


def test_it_copies_tricky_values_back_unchanged(cursor):
    assert bulk.copy_rows(cursor, "bulk_probe", COLUMNS, iter(TRICKY)) == 5

    assert _read(cursor) == TRICKY  # "" stays empty and the text "\N" stays text: only None is NULL


def test_it_copies_text_lines_as_written_across_batches(cursor):
    lines = [
        "1\ttab\\there\tx\t1950-02-28\t12.50\tt\n",
        f"2\ttwo\\nlines\\r\\nand a CR\t{bulk.NULL}\t{bulk.NULL}\t{bulk.NULL}\t{bulk.NULL}\n",
        "3\tback\\\\slash and a literal \\\\N\t\t2024-02-29\t0.01\tf\n",
        f'4\tNguyễn Øvergaard — 東京 😀\tO\'Brien "quoted", comma\t{bulk.NULL}\t-3\tt\n',
        "5\t\t\\\\N\t0001-01-01\t999999.99\tf\n",
    ]

    count = bulk.copy_lines(cursor, "bulk_probe", COLUMNS, iter(lines), batch=2)

    assert count == 5
    assert _read(cursor) == TRICKY


def test_it_reports_progress_every_so_many_rows(cursor):
    seen: list[int] = []

    bulk.copy_rows(cursor, "bulk_probe", COLUMNS, TRICKY, progress=seen.append, every=2)

    assert seen == [2, 4]


def test_a_failed_copy_loads_none_of_its_rows(cursor):
    bulk.copy_rows(cursor, "bulk_probe", COLUMNS, TRICKY[:1])
    duplicate = (TRICKY[0][0], *TRICKY[1][1:])

    with pytest.raises(IntegrityError), transaction.atomic(), connection.wrap_database_errors:
        bulk.copy_rows(cursor, "bulk_probe", COLUMNS, [TRICKY[3], TRICKY[4], duplicate])

    assert _read(cursor) == TRICKY[:1]


def _reltuples(table: str) -> float:
    with connection.cursor() as wrapper:
        wrapper.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return wrapper.fetchone()[0]


def test_fresh_statistics_count_the_rows_just_written_by_a_login_that_owns_nothing():
    """After a bulk load the planner must see the new rows, or the first pages are planned as
    if the table were empty. The application's login owns no table (hms/dbroles.py): its plain
    ANALYZE would be skipped, so the statistics go through the owner's function."""
    from doctors.models import Specialty

    Specialty.objects.bulk_create(Specialty(name=f"Bulk speciality {n:04d}") for n in range(1500))
    with connection.cursor() as wrapper:
        bulk.refresh_statistics(wrapper, ["doctors_specialty"])
    assert _reltuples("doctors_specialty") >= 1500


def test_fresh_statistics_refuse_a_name_that_is_not_a_table_of_the_schema():
    with pytest.raises(Exception, match='no table "pg_authid" in the public schema'):
        with transaction.atomic(), connection.cursor() as wrapper:
            bulk.refresh_statistics(wrapper, ["pg_authid"])
    with pytest.raises(Exception, match="no table"):
        with transaction.atomic(), connection.cursor() as wrapper:
            bulk.refresh_statistics(wrapper, ["doctors_specialty; DROP TABLE doctors_specialty"])
    assert _reltuples("doctors_specialty") is not None  # the table is still there
