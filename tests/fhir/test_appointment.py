"""Appointment: read and search (patient, practitioner, actor, date with each prefix, status),
paging by (start, id), the roles of the appointment pages and the chart's audit; every answer
validated by fhir.resources' R4B models."""

import datetime

import pytest
from fhir.resources.R4B.appointment import Appointment as AppointmentResource
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from appointments.models import AppointmentStatus
from core.models import AuditEvent
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory, SpecialtyFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def at(day: str, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


@pytest.fixture
def world(db):
    """Two patients and two doctors; five appointments told apart by every parameter."""
    maria = PatientFactory(first_name="María", last_name="González")
    tom = PatientFactory(first_name="Tom", last_name="Hardy")
    ada = DoctorFactory(
        first_name="Ada", last_name="Lovelace", specialty=SpecialtyFactory(name="Cardiology")
    )
    grace = DoctorFactory(first_name="Grace", last_name="Hopper")

    def book(patient, doctor, start, status=AppointmentStatus.SCHEDULED, **fields):
        end = start + datetime.timedelta(minutes=fields.pop("minutes", 30))
        return AppointmentFactory(
            patient=patient, doctor=doctor, start=start, end=end, status=status, **fields
        )

    return {
        "maria": maria,
        "tom": tom,
        "ada": ada,
        "grace": grace,
        "a1": book(maria, ada, at("2030-03-04", 9), reason="Chest pain", minutes=45),
        "a2": book(tom, ada, at("2030-03-05", 10), AppointmentStatus.CHECKED_IN),
        "a3": book(maria, grace, at("2030-04-01", 11), AppointmentStatus.COMPLETED),
        "a4": book(
            tom, grace, at("2031-01-02", 9), AppointmentStatus.CANCELLED, cancel_reason="Ill"
        ),
        "a5": book(maria, ada, at("2030-03-04", 12), AppointmentStatus.NO_SHOW),
    }


def found(api, **query) -> list[str]:
    """The appointments a search finds, by their names in `world`, in the order answered."""
    bundle = parsed(api(url("appointment_search"), **query), Bundle)
    return [r.id for r in entries(bundle, AppointmentResource)]


def ids(world, *names) -> list[str]:
    return [str(world[name].pk) for name in names]


def test_it_maps_an_appointment(api, world):
    a1 = world["a1"]

    resource = parsed(api(url("appointment_read", a1.pk)), AppointmentResource)

    assert resource.id == str(a1.pk)
    assert resource.status == "booked"
    assert (resource.start, resource.end) == (at("2030-03-04", 9), at("2030-03-04", 9, 45))
    assert resource.minutesDuration == 45
    assert resource.reasonCode[0].text == "Chest pain"
    assert resource.specialty[0].text == "Cardiology"
    assert resource.created == a1.created_at
    assert resource.cancelationReason is None
    actors = [(p.actor.reference, p.actor.display, p.status) for p in resource.participant]
    assert actors == [
        (f"Patient/{world['maria'].pk}", "María González", "accepted"),
        (f"Practitioner/{world['ada'].pk}", "Dr Ada Lovelace", "accepted"),
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a1", "booked"),
        ("a2", "arrived"),
        ("a3", "fulfilled"),
        ("a4", "cancelled"),
        ("a5", "noshow"),
    ],
)
def test_each_status_is_fhirs_code_for_it(api, world, name, code):
    resource = parsed(api(url("appointment_read", world[name].pk)), AppointmentResource)

    assert resource.status == code
    if code == "cancelled":
        assert resource.cancelationReason.text == "Ill"


def test_it_searches_by_patient_practitioner_and_actor(api, world):
    maria, tom, ada = world["maria"].pk, world["tom"].pk, world["ada"].pk

    assert found(api, patient=f"Patient/{maria}") == ids(world, "a1", "a5", "a3")
    assert found(api, patient=str(tom)) == ids(world, "a2", "a4")
    assert found(api, practitioner=f"Practitioner/{ada}") == ids(world, "a1", "a5", "a2")
    assert found(api, actor=f"Practitioner/{ada}", patient=tom) == ids(world, "a2")
    assert found(api, actor=f"Patient/{tom},Patient/{maria}") == ids(
        world, "a1", "a5", "a2", "a3", "a4"
    )
    assert found(api, patient="Patient/999999") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-03-04", ["a1", "a5"]),
        ("eq2030-03", ["a1", "a5", "a2"]),
        ("eq2030", ["a1", "a5", "a2", "a3"]),
        ("ge2030-04", ["a3", "a4"]),
        ("gt2030-03", ["a3", "a4"]),
        ("gt2030-03-04", ["a2", "a3", "a4"]),
        ("le2030-03-05", ["a1", "a5", "a2"]),
        ("lt2030-03-05", ["a1", "a5"]),
        ("lt2030", []),
        ("2030-03-04T09:00:00Z", ["a1"]),
        ("ge2030-03-04T10:00:00Z", ["a5", "a2", "a3", "a4"]),
        ("lt2030-03-04T12:00:00+00:00", ["a1"]),
        ("le2030-03-04T11:00:00-01:00", ["a1", "a5"]),
    ],
)
def test_it_searches_by_date_with_each_prefix(api, world, value, expected):
    assert found(api, date=value) == ids(world, *expected)


def test_date_ranges_combine(api, world):
    assert found(api, date=["ge2030-03-05", "lt2030-04-02"]) == ids(world, "a2", "a3")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("booked", ["a1"]),
        ("arrived", ["a2"]),
        ("fulfilled", ["a3"]),
        ("cancelled", ["a4"]),
        ("noshow", ["a5"]),
        ("http://hl7.org/fhir/appointmentstatus|booked,noshow", ["a1", "a5"]),
        ("proposed", []),
        ("http://example.org/other|booked", None),
        ("scheduled", None),
    ],
)
def test_it_searches_by_status(api, world, value, expected):
    if expected is None:
        message = outcome_of(api(url("appointment_search"), status=value), 400)
        assert "is none of booked, arrived, fulfilled, cancelled, noshow" in message
    else:
        assert found(api, status=value) == ids(world, *expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"date": "2030-13"}, "not a date of the calendar"),
        ({"date": "sa2030"}, "the prefix 'sa' is not supported"),
        ({"date": "tomorrow"}, "is not a date"),
        ({"patient": "Practitioner/1"}, "is not a reference to a Patient"),
        ({"practitioner": "Dr Who"}, "is not a Practitioner reference or id"),
        ({"actor": "7"}, "names no Patient or Practitioner"),
        ({"location": "x"}, "Supported: patient, practitioner, actor, date, status, _count"),
    ],
)
def test_a_malformed_search_is_a_400_saying_why(api, world, query, expected):
    assert expected in outcome_of(api(url("appointment_search"), **query), 400)


def test_it_pages_by_start_then_id(api, world):
    """Same starts tie-broken by id; every page in order, none repeated or skipped, even when
    an appointment is booked before the page it would fall on is read."""
    ada = world["ada"]
    same_start = [
        AppointmentFactory(start=at("2029-06-01", 8), end=at("2029-06-01", 8, 30)) for _ in range(4)
    ]
    later = [
        AppointmentFactory(doctor=ada, start=at("2029-06-02", 8 + n), end=at("2029-06-02", 9 + n))
        for n in range(5)
    ]
    query = {"date": "lt2030", "_count": "3"}

    first = parsed(api(url("appointment_search"), **query), Bundle)
    pages, bundle = [first], first
    while next_url := link(bundle, "next"):
        bundle = parsed(api(next_url), Bundle)
        pages.append(bundle)

    assert [len(entries(page)) for page in pages] == [3, 3, 3]
    assert [r.id for page in pages for r in entries(page)] == [
        str(a.pk) for a in [*sorted(same_start, key=lambda a: a.pk), *later]
    ]
    assert first.total is None and pages[-1].total is None
    assert "_cursor=" in link(first, "next")


def test_a_search_reads_one_page_in_a_fixed_number_of_queries(
    api, world, django_assert_max_num_queries
):
    AppointmentFactory.create_batch(40, doctor=world["ada"])
    api(url("appointment_search"), _count=1)  # the token exists

    with django_assert_max_num_queries(6):
        bundle = parsed(api(url("appointment_search"), _count=40), Bundle)

    assert len(entries(bundle)) == 40


READERS = ["front_desk", "doctor", "billing_clerk", "admin_user"]


@pytest.mark.parametrize("role", READERS)
def test_the_roles_that_see_appointments_read_them(request, api, world, role):
    user = request.getfixturevalue(role)

    read = parsed(api(url("appointment_read", world["a1"].pk), user=user), AppointmentResource)

    assert read.reasonCode[0].text == "Chest pain"  # the desk's words, shown as on the page
    assert len(found(lambda path, **q: api(path, user=user, **q))) == 5


def test_a_user_without_a_role_may_not_read_appointments(api, outsider, world):
    read = api(url("appointment_read", world["a1"].pk), user=outsider)
    search = api(url("appointment_search"), user=outsider)

    assert outcome_of(read, 403) == "Your role may not read appointments."
    assert outcome_of(search, 403) == "Your role may not read appointments."
    assert not AuditEvent.objects.filter(action="view").exists()


def test_reads_are_audited_as_the_charts_naming_the_patients(api, front_desk, world):
    parsed(api(url("appointment_read", world["a1"].pk), user=front_desk))
    parsed(api(url("appointment_search"), user=front_desk, status="booked,arrived"))

    read, search = AuditEvent.objects.filter(action="view").order_by("pk")
    assert (read.actor_id, read.patient_id) == (front_desk.pk, world["maria"].pk)
    assert (read.object_type, read.object_id) == ("appointments.appointment", str(world["a1"].pk))
    assert read.changes["resource_types"] == ["Appointment"]
    assert sorted(search.changes["patients"]) == sorted([world["maria"].pk, world["tom"].pk])
    assert search.changes["query"] == "status=booked,arrived"


def test_an_unknown_appointment_is_a_404(api, world):
    assert "There is no Appointment with id 999999" in outcome_of(
        api(url("appointment_read", 999_999)), 404
    )


def test_the_capability_statement_offers_writes_for_appointments_only(client):
    rest = parsed(client.get(url("metadata")), CapabilityStatement).rest[0]
    interactions = {r.type: [i.code for i in r.interaction] for r in rest.resource}

    assert interactions.pop("Appointment") == [
        "read",
        "search-type",
        "create",
        "update",
        "patch",
    ]
    assert all(not {"create", "update", "patch"} & set(codes) for codes in interactions.values())
    appointment = next(r for r in rest.resource if r.type == "Appointment")
    assert [(p.name, p.type) for p in appointment.searchParam] == [
        ("patient", "reference"),
        ("practitioner", "reference"),
        ("actor", "reference"),
        ("date", "date"),
        ("status", "token"),
    ]
