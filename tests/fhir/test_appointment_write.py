"""Booking (POST) and cancelling (PUT, PATCH) appointments through the API: the booking desk's
services and roles, 201 with Location, 409 for a taken time in the service's words, 422 for
its other rules, 400 for a body that is not a valid R4B Appointment; every answer validated by
fhir.resources' R4B models."""

import datetime
import json
import urllib.error
import urllib.request

import pytest
from django.test import Client, override_settings
from fhir.resources.R4B.appointment import Appointment as AppointmentResource
from fhir.resources.R4B.operationoutcome import OperationOutcome

from appointments.models import Appointment, AppointmentStatusChange
from core import roles
from core.models import AuditEvent
from tests.appointments.factories import TUESDAY, at, doctor_with_hours
from tests.concurrency import run_concurrently
from tests.factories import AppointmentFactory, PatientFactory, TimeOffFactory, UserFactory
from tests.fhir.conftest import bearer, outcome_of, parsed, token_for, url

pytestmark = pytest.mark.django_db
FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"


@pytest.fixture
def ada(db):
    return doctor_with_hours(first_name="Ada", last_name="Lovelace")  # Mondays 09:00-17:00


@pytest.fixture
def maria(db):
    return PatientFactory(first_name="María", last_name="González")


def booking(patient, doctor, start, **fields) -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "start": start.isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{doctor.pk}"}, "status": "accepted"},
        ],
        **fields,
    }


@pytest.fixture
def send(client, front_desk):
    """`send(method, path, body, user=front_desk, content_type=...)` with a token of `user`."""
    secrets = {}

    def call(method, path, body, *, user=None, content_type=None):
        user = user or front_desk
        secrets.setdefault(user.pk, token_for(user))
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        kind = content_type or (JSON_PATCH if method == "patch" else FHIR_JSON)
        return getattr(client, method)(
            path, data, content_type=kind, headers=bearer(secrets[user.pk])
        )

    return call


def post(send, body, **kwargs):
    return send("post", url("appointment_search"), body, **kwargs)


# --- POST: booking ----------------------------------------------------------------------------


def test_it_books_through_the_booking_service(send, front_desk, ada, maria):
    end = at(10, 30).isoformat()
    response = post(send, booking(maria, ada, at(10), end=end, reasonCode=[{"text": "Chest pain"}]))

    created = parsed(response, AppointmentResource, status=201)
    stored = Appointment.objects.get()
    assert response["Location"] == f"http://testserver/fhir/R4/Appointment/{stored.pk}"
    assert created.id == str(stored.pk) and created.status == "booked"
    assert (stored.patient, stored.doctor, stored.start, stored.end) == (
        maria,
        ada,
        at(10),
        at(10, 30),
    )
    assert (stored.status, stored.reason, stored.booked_by) == (
        "scheduled",
        "Chest pain",
        front_desk,
    )
    assert AppointmentStatusChange.objects.get(appointment=stored).note == "Booked"
    audit = AuditEvent.objects.get(action="create", object_type="appointments.appointment")
    assert (audit.actor_id, audit.patient_id, audit.object_id) == (
        front_desk.pk,
        maria.pk,
        str(stored.pk),
    )
    again = parsed(send("get", response["Location"], ""), AppointmentResource)
    assert again.model_dump() == created.model_dump()


@pytest.mark.parametrize(
    ("fields", "minutes"),
    [({"minutesDuration": 60}, 60), ({}, 30), ({"description": "Follow-up"}, 30)],
)
def test_its_length_is_minutes_duration_or_one_slot(send, ada, maria, fields, minutes):
    created = parsed(post(send, booking(maria, ada, at(11), **fields)), status=201)

    stored = Appointment.objects.get()
    assert stored.end - stored.start == datetime.timedelta(minutes=minutes)
    assert created.minutesDuration == minutes
    assert stored.reason == fields.get("description", "")


def test_a_taken_time_is_a_409_in_the_services_words(send, ada, maria):
    AppointmentFactory(doctor=ada, start=at(10), end=at(10, 30))
    other_doctor = doctor_with_hours(first_name="Grace", last_name="Hopper")
    AppointmentFactory(patient=maria, doctor=other_doctor, start=at(14), end=at(14, 30))

    doctor_busy = post(send, booking(maria, ada, at(10)))
    patient_busy = post(send, booking(maria, ada, at(14)))

    assert outcome_of(doctor_busy, 409) == (
        "Dr Ada Lovelace already has an appointment from 10:00 to 10:30 — pick another time."
    )
    assert outcome_of(patient_busy, 409) == (
        "This patient already has an appointment from 14:00 to 14:30 with Dr Grace Hopper "
        "— pick another time."
    )
    assert parsed(doctor_busy, status=409).issue[0].code == "conflict"
    assert Appointment.objects.filter(patient=maria, doctor=ada).count() == 0


@pytest.mark.parametrize(
    ("start", "extra", "expected"),
    [
        (at(10, day=TUESDAY), {}, "Dr Ada Lovelace does not work on Tuesday 05 March at 10:00"),
        (at(16, 45), {}, "hours end at 17:00, before this appointment would end at 17:15"),
        (at(10, 10), {}, "Appointments start on the 30-minute grid from 09:00"),
        (at(10), {"minutesDuration": 37}, "An appointment lasts 15, 20, 30, 45, 60, 90 minutes"),
        (at(12), {}, "Dr Ada Lovelace is away at that time"),
        (at(10, day=datetime.date(2020, 3, 2)), {}, "That time has already passed"),
    ],
)
def test_the_booking_rules_refuse_with_a_422(send, ada, maria, start, extra, expected):
    TimeOffFactory(doctor=ada, start=at(12), end=at(13))

    response = post(send, booking(maria, ada, start, **extra))

    assert expected in outcome_of(response, 422)
    assert not Appointment.objects.exists()


def test_a_participant_may_be_named_by_its_url(send, ada, maria):
    body = booking(maria, ada, at(10))
    body["participant"][1]["actor"]["reference"] = (
        f"http://testserver/fhir/R4/Practitioner/{ada.pk}"
    )

    assert parsed(post(send, body), status=201)
    assert Appointment.objects.get().doctor == ada


def test_unknown_or_inactive_people_are_a_422(send, ada, maria):
    gone = PatientFactory(is_active=False)
    nobody = booking(maria, ada, at(10))
    nobody["participant"][0]["actor"]["reference"] = "Patient/999999"
    no_doctor = booking(maria, ada, at(10))
    no_doctor["participant"].pop()

    assert outcome_of(post(send, nobody), 422) == "There is no Patient with id 999999."
    assert "Name one participant Practitioner/<id>" in outcome_of(post(send, no_doctor), 422)
    assert "deactivated" in outcome_of(post(send, booking(gone, ada, at(10))), 422)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "arrived"}, "A new appointment is 'booked' (or 'proposed'), not 'arrived'"),
        ({"start": None}, "Say when the appointment starts"),
        ({"minutesDuration": 30, "end": at(11).isoformat()}, "end and minutesDuration disagree"),
    ],
)
def test_a_booking_that_says_too_little_or_disagrees_is_a_422(send, ada, maria, change, expected):
    body = {key: value for key, value in {**booking(maria, ada, at(10)), **change}.items() if value}

    assert expected in outcome_of(post(send, body), 422)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ("{not json", 400, "The body is not JSON"),
        ({"resourceType": "Patient"}, 400, "must be a FHIR Appointment resource"),
        ({"resourceType": "Appointment", "status": "booked"}, 400, "participant: Field required"),
        ("start-naive", 400, "start: Value error"),
        ("extra", 400, "colour: Extra inputs are not permitted"),
        ("nul", 400, "holds a NUL character"),  # PostgreSQL stores none: not a 500
    ],
)
def test_a_body_that_is_not_a_valid_r4b_appointment_is_a_400(
    send, ada, maria, body, status, expected
):
    if body == "start-naive":
        body = booking(maria, ada, at(10)) | {"start": "2030-03-04T10:00:00"}
    elif body == "extra":
        body = booking(maria, ada, at(10)) | {"colour": "blue"}
    elif body == "nul":
        body = booking(maria, ada, at(10)) | {"description": "Check-up\u0000"}

    assert expected in outcome_of(post(send, body), status)
    assert not Appointment.objects.exists()


def test_a_body_that_is_not_json_by_its_type_is_a_415(send, ada, maria):
    body = booking(maria, ada, at(10))

    response = post(send, body, content_type="application/x-www-form-urlencoded")

    assert "Send the body as application/fhir+json" in outcome_of(response, 415)
    assert parsed(post(send, body, content_type="application/json"), status=201)


@pytest.mark.parametrize("role", ["doctor", "billing_clerk", "outsider"])
def test_only_the_desk_and_administrators_book(request, send, ada, maria, role):
    user = request.getfixturevalue(role)

    response = post(send, booking(maria, ada, at(10)), user=user)

    assert outcome_of(response, 403) == "Your role may not book appointments."
    assert not Appointment.objects.exists()


def test_an_administrator_books(send, admin_user, ada, maria):
    assert parsed(post(send, booking(maria, ada, at(10)), user=admin_user), status=201)


def test_a_browser_session_books_only_with_its_csrf_token(front_desk, ada, maria):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(front_desk)
    browser.get("/")  # the page sets the CSRF cookie
    body = json.dumps(booking(maria, ada, at(10)))

    forged = browser.post(url("appointment_search"), body, content_type=FHIR_JSON)
    assert "CSRF token" in outcome_of(forged, 403)
    assert not Appointment.objects.exists()

    token = browser.cookies["csrftoken"].value
    sent = browser.post(
        url("appointment_search"), body, content_type=FHIR_JSON, headers={"X-CSRFToken": token}
    )
    assert parsed(sent, status=201)
    assert Appointment.objects.count() == 1


@override_settings(HMS_FHIR_RATE=1)
def test_writes_are_throttled(send, ada, maria):
    parsed(post(send, booking(maria, ada, at(10))), status=201)

    assert "at most 1 a minute" in outcome_of(post(send, booking(maria, ada, at(11))), 429)
    assert Appointment.objects.count() == 1


def test_other_methods_are_a_405_naming_what_the_urls_answer(send, front_desk, ada, maria):
    booked = AppointmentFactory(doctor=ada, patient=maria, start=at(10), end=at(10, 30))

    on_type = send("put", url("appointment_search"), {})
    on_one = send("delete", url("appointment_read", booked.pk), {})

    assert "is not supported here" in outcome_of(on_type, 405)
    assert on_type["Allow"] == "GET, HEAD, POST"
    assert on_one["Allow"] == "GET, HEAD, PUT, PATCH"
    assert outcome_of(send("post", url("patient_search"), {}), 405)


# --- a race through the API -------------------------------------------------------------------

RACERS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_racing_for_one_slot_book_it_once(live_server):
    """Twenty HTTP clients post one slot at once to a live server (each request in its own
    thread with its own database connection, as gunicorn's workers): one 201, nineteen 409s
    saying in words that the time is taken, one appointment."""
    ada = doctor_with_hours(first_name="Ada", last_name="Lovelace")
    patients = PatientFactory.create_batch(RACERS)
    secret = token_for(UserFactory(username="racer", role=roles.FRONT_DESK))

    def book(i: int) -> tuple[int, str, bytes]:
        request = urllib.request.Request(
            live_server.url + url("appointment_search"),
            data=json.dumps(booking(patients[i], ada, at(10))).encode(),
            headers={"Content-Type": FHIR_JSON, **bearer(secret)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read()
        except urllib.error.HTTPError as refusal:
            return refusal.code, "", refusal.read()

    answers, errors = run_concurrently(RACERS, book)

    assert errors == []
    assert sorted(status for status, _, _ in answers) == [201] + [409] * (RACERS - 1)
    stored = Appointment.objects.get(doctor=ada)
    for status, location, body in answers:
        if status == 201:
            created = AppointmentResource.model_validate_json(body)
            assert created.id == str(stored.pk)
            assert location == f"{live_server.url}/fhir/R4/Appointment/{stored.pk}"
        else:
            issue = OperationOutcome.model_validate_json(body).issue[0]
            assert issue.code == "conflict"
            assert issue.diagnostics in (
                "That slot was just taken — pick another.",
                "Dr Ada Lovelace already has an appointment from 10:00 to 10:30 — pick another "
                "time.",
            )
    assert Appointment.objects.count() == 1
