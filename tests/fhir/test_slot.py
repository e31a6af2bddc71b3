"""Slot: the free slots the booking page offers (its availability engine), read and searched
through the API: by schedule, start with its prefixes and status; a booked slot, time off,
a day without hours and an inactive medic give none. Every answer parsed back with
fhir.resources R4B. Paging: tests/fhir/test_slot_paging.py."""

import datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.slot import Slot

from appointments.selectors import available_slots
from appointments.services import appointment_book
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import PatientFactory, TimeOffFactory
from tests.fhir.conftest import entries, outcome_of, parsed, url

pytestmark = pytest.mark.django_db
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
MON_TUE = {"start": ["ge2030-03-04", "lt2030-03-06"]}


@pytest.fixture
def medic(db):
    """Works 09:00–12:00 in 30-minute slots, Monday to Tuesday."""
    return doctor_with_hours(weekdays=(0, 1), end=datetime.time(12, 0))


def search(api, **query) -> list[Slot]:
    return entries(parsed(api(url("slot_search"), **query), Bundle), Slot)


def times(slots: list[Slot]) -> list[str]:
    return [f"{s.start:%a %H:%M}" for s in slots]


def slot_id(doctor, start: datetime.datetime, minutes: int = 30) -> str:
    return f"{doctor.pk}-{start.astimezone(datetime.UTC):%Y%m%d%H%M}-{minutes}"


def test_its_free_slots_are_the_booking_pages(api, medic, admin_user):
    appointment_book(patient=PatientFactory(), doctor=medic, start=at(10), by=admin_user)
    TimeOffFactory(doctor=medic, start=at(9, day=TUESDAY), end=at(10, 30, day=TUESDAY))

    found = search(api, schedule=f"Schedule/{medic.pk}", **MON_TUE)

    engine = available_slots(doctor=medic, day_from=MONDAY, day_to=TUESDAY)
    assert [(s.start, s.end) for s in found] == engine
    assert times(found) == [
        "Mon 09:00", "Mon 09:30", "Mon 10:30", "Mon 11:00", "Mon 11:30",
        "Tue 10:30", "Tue 11:00", "Tue 11:30",
    ]  # fmt: skip
    first = found[0]
    assert first.id == slot_id(medic, at(9))
    assert first.status == "free"
    assert first.schedule.reference == f"Schedule/{medic.pk}"
    assert first.end - first.start == datetime.timedelta(minutes=30)


def test_a_booked_slot_is_gone_and_its_read_says_so(api, medic, admin_user):
    free = slot_id(medic, at(11))
    assert parsed(api(url("slot_read", free)), Slot).start == at(11)

    appointment_book(patient=PatientFactory(), doctor=medic, start=at(11), by=admin_user)

    assert "Mon 11:00" not in times(search(api, schedule=medic.pk, **MON_TUE))
    assert "has been booked" in outcome_of(api(url("slot_read", free)), 404)


def test_outside_working_hours_and_in_time_off_there_is_none(api, medic):
    TimeOffFactory(doctor=medic, start=at(0, day=TUESDAY), end=at(23, day=TUESDAY))

    assert search(api, schedule=medic.pk, start="2030-03-06") == []  # Wednesday: no hours
    assert search(api, schedule=medic.pk, start="2030-03-05") == []  # Tuesday: time off
    for moment in (at(9, day=WEDNESDAY), at(12), at(9, 15)):  # no hours, after, off the grid
        assert "not free" in outcome_of(api(url("slot_read", slot_id(medic, moment))), 404)
    assert "not free" in outcome_of(api(url("slot_read", slot_id(medic, at(9), 60))), 404)


def test_an_inactive_doctor_has_no_free_slot(api, medic):
    active = doctor_with_hours(end=datetime.time(10, 0))
    medic.is_active = False
    medic.save()

    assert search(api, schedule=medic.pk, **MON_TUE) == []
    assert "not free" in outcome_of(api(url("slot_read", slot_id(medic, at(9)))), 404)
    everyone = {s.schedule.reference for s in search(api, **MON_TUE)}
    assert everyone == {f"Schedule/{active.pk}"}


def test_it_lists_several_schedules_by_start_then_doctor_and_all_without_one(api, medic):
    other = doctor_with_hours(start=datetime.time(10, 0), end=datetime.time(11, 0))

    both = search(api, schedule=f"{other.pk},Schedule/{medic.pk}", start="2030-03-04")
    every = search(api, start="2030-03-04")

    schedules = [(f"{s.start:%H:%M}", s.schedule.reference.split("/")[1]) for s in both]
    first, second = sorted((str(medic.pk), str(other.pk)), key=int)
    assert schedules == [
        ("09:00", str(medic.pk)), ("09:30", str(medic.pk)),
        ("10:00", first), ("10:00", second), ("10:30", first), ("10:30", second),
        ("11:00", str(medic.pk)), ("11:30", str(medic.pk)),
    ]  # fmt: skip
    assert [s.id for s in every] == [s.id for s in both]
    assert search(api, schedule=medic.pk, start="2030-03-04") == [
        s for s in both if s.schedule.reference == f"Schedule/{medic.pk}"
    ]
    # Repeated, a parameter must match every time: only the doctor in both.
    repeated = search(api, schedule=[f"{medic.pk},{other.pk}", str(other.pk)], start="2030-03-04")
    assert times(repeated) == ["Mon 10:00", "Mon 10:30"]
    assert {s.schedule.reference for s in repeated} == {f"Schedule/{other.pk}"}
    assert search(api, schedule="999999", start="2030-03-04") == []


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2030-03-05", ["Tue 09:00", "Tue 09:30", "Tue 10:00", "Tue 10:30", "Tue 11:00"]),
        ("gt2030-03-04", ["Tue 09:00", "Tue 09:30", "Tue 10:00", "Tue 10:30", "Tue 11:00"]),
        (
            ["ge2030-03-04", "lt2030-03-05"],
            ["Mon 09:00", "Mon 09:30", "Mon 10:00", "Mon 10:30", "Mon 11:00"],
        ),
        (["ge2030-03-04T10:30", "le2030-03-04"], ["Mon 10:30", "Mon 11:00", "Mon 11:30"]),
        (["gt2030-03-04T10:00", "lt2030-03-04T11:30"], ["Mon 10:30", "Mon 11:00"]),
        (["gt2030-03-04T10:00:00Z", "le2030-03-04T11:00Z"], ["Mon 10:30", "Mon 11:00"]),
        (["ge2030-03-04", "lt2030-03-04T10:00:00+00:00"], ["Mon 09:00", "Mon 09:30"]),
        ("2030-03-04T11:30", ["Mon 11:30"]),
        (["ge2030-03-05T11:00:00.000+00:00", "le2030-03-05"], ["Tue 11:00", "Tue 11:30"]),
        (["ge2030-03-04", "le2030-03-04T09:00"], ["Mon 09:00"]),  # le: to that minute's end
        (["ge2030-03-04", "lt2030-03-04T09:00"], []),
    ],
)
def test_start_takes_its_prefixes_and_precisions(api, medic, start, expected):
    found = search(api, schedule=medic.pk, start=start, _count="5")

    assert times(found) == expected


def test_a_month_is_a_search_and_more_is_refused(api, medic):
    march = search(api, schedule=medic.pk, start="2030-03", _count="100")
    from_first = search(api, schedule=medic.pk, start="ge2030-03-01T00:00", _count="100")

    # Four Mondays and four Tuesdays of six slots; a lower bound alone: 31 days from it.
    assert len(march) == 4 * 2 * 6
    assert from_first == march
    for start in (["ge2030-03-01", "lt2030-04-15"], "2030", "le2099-12-31"):
        answer = api(url("slot_search"), schedule=medic.pk, start=start)
        assert "at most 31 days" in outcome_of(answer, 400), start


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"start": "2030-13-01"}, "not a date of the calendar"),
        ({"start": "2030-03-04T25:00"}, "not a date or time of the calendar"),
        ({"start": "tomorrow"}, "not a date or a time"),
        ({"start": "sa2030-03-04"}, "prefix 'sa' is not supported"),
        ({"start": "2030-03-04,2030-03-05"}, "one date per occurrence"),
        ({"schedule": "Practitioner/1"}, "not a reference to a Schedule"),
        ({"schedule": "Schedule/abc"}, "not a Schedule reference or id"),
        ({"status": "open"}, "not a slot status"),
        ({"status": "http://example.org|free"}, "not a slot status"),
        ({"service-type": "x"}, "Supported: schedule, start, status, _count"),
    ],
)
def test_it_refuses_what_it_cannot_search(api, medic, query, says):
    assert says in outcome_of(api(url("slot_search"), **query), 400)


def test_only_free_slots_are_served(api, medic):
    free = search(api, schedule=medic.pk, **MON_TUE)
    busy = parsed(api(url("slot_search"), schedule=medic.pk, status="busy", **MON_TUE), Bundle)

    assert len(free) == 12
    assert search(api, schedule=medic.pk, status="free", **MON_TUE) == free
    assert search(api, schedule=medic.pk, status="busy,free", **MON_TUE) == free
    system = "http://hl7.org/fhir/slotstatus|free"
    assert search(api, schedule=medic.pk, status=system, **MON_TUE) == free
    assert entries(busy) == []
    assert "lists free slots only" in busy.entry[0].resource.issue[0].diagnostics


def test_without_start_it_lists_from_now_for_31_days(api):
    every_day = doctor_with_hours(weekdays=range(7), start=datetime.time(0, 0), slot_minutes=60)
    before = datetime.datetime.now(datetime.UTC)
    pages = [parsed(api(url("slot_search"), schedule=every_day.pk, _count="100"), Bundle)]
    while following := next((x.url for x in pages[-1].link if x.relation == "next"), None):
        pages.append(parsed(api(following), Bundle))
    found = [(s.start, s.end) for page in pages for s in entries(page, Slot)]

    today = before.date()  # the tests' hospital time is UTC
    engine = available_slots(
        doctor=every_day, day_from=today, day_to=today + datetime.timedelta(days=30), now=before
    )
    # A slot may have started between the two: at most the engine's first is left out.
    assert found in (engine, engine[1:])
    assert found[-1][0].date() == today + datetime.timedelta(days=30)
    assert len(pages) == -(-len(found) // 100)


def test_an_id_reads_back_the_slot_the_search_gave(api, medic):
    for slot in search(api, schedule=medic.pk, **MON_TUE):
        read = parsed(api(url("slot_read", slot.id)), Slot)
        assert read == slot


@pytest.mark.parametrize(
    "bad", ["abc", "12", "1-2030030409-30", "01-203003040900-30", "1-203003040900-x", "1-2-3"]
)
def test_a_malformed_id_is_refused(api, medic, bad):
    assert "is not a Slot id" in outcome_of(api(url("slot_read", bad)), 400)


def test_an_impossible_time_or_unknown_schedule_is_refused(api, medic):
    impossible = outcome_of(api(url("slot_read", f"{medic.pk}-203013040900-30")), 400)
    unknown = outcome_of(api(url("slot_read", "999999-203003040900-30")), 404)

    assert "not a time of the calendar" in impossible
    assert "there is no Schedule/999999" in unknown
    far = outcome_of(api(url("slot_read", f"{medic.pk}-999912312330-30")), 400)
    assert "not between 1900 and 2999" in far


def test_ids_and_days_are_in_the_hospitals_time(api, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in March
    berlin = doctor_with_hours(end=datetime.time(10, 0))

    found = search(api, schedule=berlin.pk, start="2030-03-04")

    assert [s.id for s in found] == [f"{berlin.pk}-203003040800-30", f"{berlin.pk}-203003040830-30"]
    assert found[0].start.isoformat() == "2030-03-04T09:00:00+01:00"
    assert parsed(api(url("slot_read", found[1].id)), Slot) == found[1]


def test_a_slots_schedule_is_the_doctors(api, medic):
    slot = search(api, schedule=medic.pk, **MON_TUE)[0]
    schedule = parsed(api("/fhir/R4/" + slot.schedule.reference))

    assert schedule.get_resource_type() == "Schedule"
    assert schedule.actor[0].reference == f"Practitioner/{medic.pk}"


@pytest.mark.parametrize("role", ["front_desk", "doctor", "billing_clerk", "admin_user"])
def test_every_role_that_reads_doctors_reads_slots(api, medic, request, role):
    user = request.getfixturevalue(role)

    assert len(search(api, user=user, schedule=medic.pk, **MON_TUE)) == 12
    parsed(api(url("slot_read", slot_id(medic, at(9))), user=user), Slot)


def test_a_user_without_a_role_is_refused(api, medic, outsider):
    assert "may not read" in outcome_of(api(url("slot_search"), user=outsider), 403)
    read = api(url("slot_read", slot_id(medic, at(9))), user=outsider)
    assert "may not read" in outcome_of(read, 403)
