"""Schedule: one per doctor, with the doctor's id; read and searched by actor, specialty and
active by every role that reads doctors, each answer parsed back with fhir.resources R4B."""

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule

from tests.factories import DoctorFactory, SpecialtyFactory
from tests.fhir.conftest import entries, outcome_of, parsed, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctors(db):
    cardiology = SpecialtyFactory(name="Cardiology")
    return {
        "okoye": DoctorFactory(first_name="Ada", last_name="Okoye", specialty=cardiology),
        "lind": DoctorFactory(
            last_name="Lindqvist", specialty=SpecialtyFactory(name="Dermatology")
        ),
        "gone": DoctorFactory(last_name="Retired", specialty=cardiology, is_active=False),
    }


def search(api, **query) -> list[str]:
    bundle = parsed(api(url("schedule_search"), **query), Bundle)
    return [schedule.id for schedule in entries(bundle, Schedule)]


def ids(*doctors) -> list[str]:
    return sorted((str(d.pk) for d in doctors), key=int)


def test_it_reads_a_doctors_schedule(api, doctors):
    doctor = doctors["okoye"]

    schedule = parsed(api(url("schedule_read", doctor.pk)), Schedule)

    assert schedule.id == str(doctor.pk)
    assert schedule.active is True
    assert [a.reference for a in schedule.actor] == [f"Practitioner/{doctor.pk}"]
    assert schedule.actor[0].display == "Dr Ada Okoye"
    assert [s.text for s in schedule.specialty] == ["Cardiology"]
    assert [s.text for s in schedule.serviceType] == ["Cardiology"]
    assert f"Slot?schedule=Schedule/{doctor.pk}" in schedule.comment
    assert schedule.meta.lastUpdated is not None


def test_an_inactive_doctors_schedule_says_so(api, doctors):
    schedule = parsed(api(url("schedule_read", doctors["gone"].pk)), Schedule)

    assert schedule.active is False


def test_its_actor_is_the_doctors_practitioner(api, doctors):
    schedule = parsed(api(url("schedule_read", doctors["lind"].pk)), Schedule)
    practitioner = parsed(api("/fhir/R4/" + schedule.actor[0].reference))

    assert practitioner.get_resource_type() == "Practitioner"
    assert practitioner.id == str(doctors["lind"].pk)


def test_it_searches_by_actor(api, doctors):
    okoye, lind = doctors["okoye"], doctors["lind"]

    assert search(api, actor=f"Practitioner/{okoye.pk}") == [str(okoye.pk)]
    assert search(api, actor=str(lind.pk)) == [str(lind.pk)]
    assert search(api, actor=f"Practitioner/{okoye.pk},{lind.pk}") == ids(okoye, lind)
    assert search(api, actor="Practitioner/999999") == []


def test_it_searches_by_specialty_case_blind(api, doctors):
    both = ids(doctors["okoye"], doctors["gone"])

    assert search(api, specialty="cardiology") == both
    assert search(api, specialty="CARDIOLOGY") == both
    assert search(api, specialty="dermatology,cardiology") == ids(*doctors.values())
    assert search(api, specialty="neurology") == []


def test_it_searches_by_active(api, doctors):
    assert search(api, active="false") == [str(doctors["gone"].pk)]
    assert search(api, active="true") == ids(doctors["okoye"], doctors["lind"])
    assert search(api, active="true", specialty="cardiology") == [str(doctors["okoye"].pk)]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"actor": "Patient/3"}, "not a reference to a Practitioner"),
        ({"actor": "Practitioner/x"}, "not a Practitioner reference"),
        ({"active": "maybe"}, "neither true nor false"),
        ({"specialty": "http://snomed.info/sct|394579002"}, "no code system"),
        ({"date": "2030-03-04"}, "Supported: actor, specialty, active, _count"),
    ],
)
def test_it_refuses_what_it_cannot_search(api, doctors, query, says):
    assert says in outcome_of(api(url("schedule_search"), **query), 400)


def test_a_malformed_or_unknown_id_is_refused(api, doctors):
    assert "ids here are whole numbers" in outcome_of(api(url("schedule_read", "abc")), 400)
    assert "There is no Schedule" in outcome_of(api(url("schedule_read", 999999)), 404)


@pytest.mark.parametrize("role", ["front_desk", "doctor", "billing_clerk", "admin_user"])
def test_every_role_that_reads_doctors_reads_schedules(api, doctors, request, role):
    user = request.getfixturevalue(role)

    assert search(api, user=user, actor=str(doctors["okoye"].pk)) == [str(doctors["okoye"].pk)]
    parsed(api(url("schedule_read", doctors["okoye"].pk), user=user), Schedule)


def test_a_user_without_a_role_is_refused(api, doctors, outsider):
    assert "may not read doctors" in outcome_of(api(url("schedule_search"), user=outsider), 403)
    read = api(url("schedule_read", doctors["okoye"].pk), user=outsider)
    assert "may not read doctors" in outcome_of(read, 403)
