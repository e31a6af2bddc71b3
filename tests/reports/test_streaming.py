"""A report's CSV, from `manage.py report --format csv` and from the download, starts before
the report has been read in full: rows come through a server-side cursor a chunk at a time,
and each line leaves as its row arrives, so a CSV of millions of rows never sits in memory."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from appointments.models import Appointment
from reports.selectors._base import stream_rows

pytestmark = pytest.mark.django_db

CHUNK = stream_rows.__defaults__[0]  # rows per fetch of the server-side cursor


@pytest.fixture
def hospital(settings):
    """A seeded hospital with well over one chunk of appointments."""
    settings.DEBUG = True
    call_command("seed_demo", patients=300, doctors=10, days=30, seed=3, stdout=io.StringIO())
    total = Appointment.objects.count()
    assert total > 1.5 * CHUNK
    return total


@pytest.fixture
def fetched(monkeypatch):
    """How many rows the report's server-side cursors have handed over so far (a list of one
    number, read while the CSV is being written); fails if a report reads without one."""
    count = [0]
    original = connection.chunked_cursor

    class Counting:
        def __init__(self, cursor):
            self.cursor = cursor

        def __enter__(self):
            self.cursor.__enter__()
            return self

        def __exit__(self, *exc):
            return self.cursor.__exit__(*exc)

        def execute(self, *args, **kwargs):
            return self.cursor.execute(*args, **kwargs)

        def fetchmany(self, size):
            rows = self.cursor.fetchmany(size)
            count[0] += len(rows)
            return rows

        def fetchall(self):  # pragma: no cover - the streaming path never calls it
            raise AssertionError("a streamed report read all its rows at once")

    monkeypatch.setattr(connection, "chunked_cursor", lambda: Counting(original()))
    return count


class Lines(io.StringIO):
    """The command's stdout, noting how many rows had been fetched when each line came."""

    def __init__(self, fetched):
        super().__init__()
        self.fetched = fetched
        self.seen_at: list[int] = []

    def write(self, text):
        self.seen_at.extend([self.fetched[0]] * text.count("\n"))
        return super().write(text)


def test_the_command_writes_the_first_rows_before_reading_the_last(hospital, fetched):
    out = Lines(fetched)
    call_command("report", "appointments", "--format", "csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == hospital + 1  # the header and every appointment
    # The first appointment was written when only the first chunk had been fetched.
    assert out.seen_at[1] == CHUNK < hospital
    assert fetched[0] == hospital


def test_the_download_sends_the_first_rows_before_reading_the_last(
    hospital, fetched, login, admin_user
):
    response = login(admin_user).get(reverse("reports:report_csv", args=["appointments"]))
    assert response.streaming
    chunks = iter(response.streaming_content)
    header, first = next(chunks), next(chunks)
    assert header.startswith(b"appointment_id,")
    assert first.count(b"\n") == 1
    assert fetched[0] == CHUNK < hospital  # one chunk read when the first row left
    rest = list(chunks)
    assert len(rest) == hospital - 1  # one piece per row: the download arrives in pieces
    assert fetched[0] == hospital


def test_the_command_refuses_a_table_too_long_to_hold(hospital):
    with pytest.raises(CommandError, match="more than 1,000 rows.*--format csv"):
        call_command("report", "appointments", "--max-rows", "1000", stdout=io.StringIO())
    out = io.StringIO()
    call_command("report", "doctor-workload", "--max-rows", "1000", stdout=out)
    assert len(out.getvalue().splitlines()) == 2 + 10  # header, dashes, one per doctor
