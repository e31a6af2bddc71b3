"""Slot searches page by key: a next link starts after its page's last slot (start, doctor,
minutes), so a walk meets every free slot once, in order, a later page costs the queries of
the first, and an edited or foreign link is refused as out of date."""

import datetime
import urllib.parse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.slot import Slot

from appointments.selectors import slot_choices
from appointments.services import appointment_book
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db
WEEK = {"start": ["ge2030-03-04", "lt2030-03-11"]}


@pytest.fixture
def doctors(db):
    """Three doctors over a week: overlapping hours, two slot lengths, days off."""
    return [
        doctor_with_hours(weekdays=(0, 1, 3), end=datetime.time(11, 0)),
        doctor_with_hours(weekdays=(0, 2), start=datetime.time(10, 0), slot_minutes=20),
        doctor_with_hours(weekdays=(0, 4), start=datetime.time(8, 0), end=datetime.time(10, 0)),
    ]


def walk(api, **query) -> tuple[list[Slot], list[Bundle]]:
    return walk_from(api, url("slot_search") + "?" + urllib.parse.urlencode(query, doseq=True))


def walk_from(api, address: str) -> tuple[list[Slot], list[Bundle]]:
    """Every page from `address` on, following the next links."""
    pages = [parsed(api(address), Bundle)]
    while (following := link(pages[-1], "next")) is not None:
        pages.append(parsed(api(following), Bundle))
        assert len(pages) < 200
    return [slot for page in pages for slot in entries(page, Slot)], pages


def engine_week(doctors) -> list[tuple[datetime.datetime, str]]:
    """The booking page's free slots of the week, earliest first, ties by doctor id."""
    choices = slot_choices(
        doctors=doctors, day_from=MONDAY, day_to=MONDAY + datetime.timedelta(days=6)
    )
    return sorted((c.start, f"Schedule/{c.doctor.pk}") for c in choices)


@pytest.mark.parametrize("count", ["1", "3", "7", "100"])
def test_a_walk_meets_every_free_slot_once_in_order(api, doctors, count):
    found, pages = walk(api, _count=count, **WEEK)

    assert [(s.start, s.schedule.reference) for s in found] == engine_week(doctors)
    # 4 slots on 3 days, 21 (20 minutes, 10:00 to 17:00) on 2, 4 on 2.
    assert len({s.id for s in found}) == len(found) == 4 * 3 + 21 * 2 + 4 * 2
    assert [len(entries(p)) for p in pages[:-1]] == [int(count)] * (len(pages) - 1)
    assert link(pages[-1], "next") is None
    assert pages[0].total == (len(found) if len(pages) == 1 else None)


def test_a_slot_booked_between_pages_is_left_out_and_nothing_else_moves(api, doctors, admin_user):
    before, _ = walk(api, schedule=doctors[0].pk, _count="100", **WEEK)
    first = parsed(api(url("slot_search"), schedule=doctors[0].pk, _count="4", **WEEK), Bundle)
    taken = before[6]
    appointment_book(patient=PatientFactory(), doctor=doctors[0], start=taken.start, by=admin_user)
    rest, _ = walk_from(api, link(first, "next"))

    assert [s.id for s in entries(first)] + [s.id for s in rest] == [
        s.id for s in before if s.id != taken.id
    ]


def test_the_links_keep_the_search_and_page_size(api, doctors):
    bundle = parsed(
        api(url("slot_search"), schedule=f"Schedule/{doctors[1].pk}", _count="2", **WEEK),
        Bundle,
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link(bundle, "next")).query)

    assert query["schedule"] == [f"Schedule/{doctors[1].pk}"]
    assert sorted(query["start"]) == ["ge2030-03-04", "lt2030-03-11"]
    assert query["_count"] == ["2"]
    assert link(bundle, "self").startswith("http://testserver/fhir/R4/Slot?")


def test_a_changed_or_foreign_cursor_is_refused(api, doctors):
    bundle = parsed(api(url("slot_search"), _count="2", **WEEK), Bundle)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link(bundle, "next")).query)
    [cursor] = query["_cursor"]
    edited = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")

    assert parsed(api(url("slot_search"), **query), Bundle).entry  # the link as given works
    changed = api(url("slot_search"), **{**query, "_cursor": [edited]})
    cut = api(url("slot_search"), **{**query, "_cursor": [cursor[:20]]})
    foreign = api(url("slot_search"), _cursor=cursor, schedule=doctors[0].pk, **WEEK)
    patients = api(url("patient_search"), _cursor=cursor)

    for answer in (changed, cut, foreign, patients):
        assert "out of date" in outcome_of(answer, 400)


def test_a_later_page_costs_the_queries_of_the_first(api, doctors):
    for day in range(1, 200):  # a long history and other doctors' bookings change nothing
        start = at(9, day=MONDAY - datetime.timedelta(days=day))
        AppointmentFactory(doctor=doctors[0], start=start, status="completed")
    api(url("slot_search"))  # the token, made on first use

    def queries(link_url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            parsed(api(link_url), Bundle)
        return len(captured)

    query = {"schedule": doctors[0].pk, "_count": 3, **WEEK}
    first = url("slot_search") + "?" + urllib.parse.urlencode(query, doseq=True)
    _, pages = walk_from(api, first)
    later = [link(page, "next") for page in pages[:-1]]

    assert len(later) == 3  # 12 slots, 3 a page
    assert [queries(address) for address in later] == [queries(first)] * 3
    # The last page (after Thursday 09:00) asks the engine for Thursday on, not Monday on.
    with CaptureQueriesContext(connection) as captured:
        parsed(api(later[-1]), Bundle)
    [engine] = [q["sql"] for q in captured if 'FROM "appointments_appointment"' in q["sql"]]
    assert "2030-03-07 00:00:00" in engine and "2030-03-04" not in engine
