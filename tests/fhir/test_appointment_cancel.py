"""Cancelling appointments through the API: PUT of the appointment with status `cancelled`, or
PATCH with a JSON Patch (RFC 6902) doing the same, through appointments.services'
appointment_cancel; any other change is a 422, what the service refuses a 409."""

import json

import pytest
from fhir.resources.R4B.appointment import Appointment as AppointmentResource

from appointments.models import AppointmentStatus, AppointmentStatusChange
from core.models import AuditEvent
from tests.appointments.factories import at, doctor_with_hours
from tests.factories import AppointmentFactory
from tests.fhir.conftest import bearer, outcome_of, parsed, token_for, url

pytestmark = pytest.mark.django_db
JSON_PATCH = "application/json-patch+json"


@pytest.fixture
def booked(db):
    doctor = doctor_with_hours(first_name="Ada", last_name="Lovelace")
    return AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30), reason="Check-up")


@pytest.fixture
def send(client, front_desk):
    secrets = {}

    def call(method, appointment, body, *, user=None, content_type=None):
        user = user or front_desk
        secrets.setdefault(user.pk, token_for(user))
        kind = content_type or (JSON_PATCH if method == "patch" else "application/fhir+json")
        return getattr(client, method)(
            url("appointment_read", appointment.pk),
            body if isinstance(body, str) else json.dumps(body),
            content_type=kind,
            headers=bearer(secrets[user.pk]),
        )

    return call


def as_read(client, appointment, user) -> dict:
    response = client.get(url("appointment_read", appointment.pk), headers=bearer(token_for(user)))
    return json.loads(response.content)


CANCEL = [{"op": "replace", "path": "/status", "value": "cancelled"}]


def test_a_patch_cancels_through_the_service(send, front_desk, booked):
    patch = [*CANCEL, {"op": "add", "path": "/cancelationReason", "value": {"text": "Ill"}}]

    cancelled = parsed(send("patch", booked, patch), AppointmentResource)

    booked.refresh_from_db()
    assert cancelled.status == "cancelled" and cancelled.cancelationReason.text == "Ill"
    assert (booked.status, booked.cancel_reason) == (AppointmentStatus.CANCELLED, "Ill")
    change = AppointmentStatusChange.objects.get(appointment=booked)
    assert (change.to_status, change.note, change.changed_by) == (
        "cancelled",
        "Cancelled: Ill",
        front_desk,
    )
    audit = AuditEvent.objects.get(action="update", object_type="appointments.appointment")
    assert audit.actor_id == front_desk.pk
    assert audit.changes["status"] == {"before": "scheduled", "after": "cancelled"}


def test_without_a_reason_it_says_it_came_through_the_api(send, booked):
    parsed(send("patch", booked, CANCEL), AppointmentResource)

    booked.refresh_from_db()
    assert booked.cancel_reason == "Cancelled through the FHIR API"


def test_a_put_of_the_appointment_with_status_cancelled_cancels_it(
    client, send, front_desk, booked
):
    body = as_read(client, booked, front_desk)
    body["status"] = "cancelled"
    body["cancelationReason"] = {"text": "Moved away"}
    # The same moments in another zone are no change.
    body["start"] = "2030-03-04T11:00:00+01:00"

    cancelled = parsed(send("put", booked, body), AppointmentResource)

    booked.refresh_from_db()
    assert cancelled.status == "cancelled"
    assert (booked.status, booked.cancel_reason) == ("cancelled", "Moved away")


@pytest.mark.parametrize(
    ("patch", "named"),
    [
        ([{"op": "replace", "path": "/start", "value": "2030-03-04T11:00:00Z"}, *CANCEL], "start"),
        ([{"op": "replace", "path": "/status", "value": "arrived"}], None),
        ([{"op": "remove", "path": "/reasonCode"}, *CANCEL], "reasonCode"),
        (
            [
                {
                    "op": "replace",
                    "path": "/participant/1/actor/reference",
                    "value": "Practitioner/1",
                }
            ],
            None,
        ),
    ],
)
def test_any_other_change_is_a_422(send, booked, patch, named):
    message = outcome_of(send("patch", booked, patch), 422)

    assert message.startswith("Only cancelling is supported here")
    if named:
        assert f"These differ from the appointment: {named}." in message
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.SCHEDULED


def test_a_put_that_changes_nothing_changes_nothing(client, send, front_desk, booked):
    body = as_read(client, booked, front_desk)

    unchanged = parsed(send("put", booked, body), AppointmentResource)

    assert unchanged.status == "booked"
    assert not AppointmentStatusChange.objects.exists()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (AppointmentStatus.COMPLETED, "A completed appointment cannot be cancelled."),
        (AppointmentStatus.CANCELLED, "A cancelled appointment cannot be cancelled."),
        (AppointmentStatus.NO_SHOW, "A no-show appointment cannot be cancelled."),
    ],
)
def test_what_the_service_refuses_is_a_409_in_its_words(send, booked, status, expected):
    booked.status = status
    booked.save()

    response = send("patch", booked, CANCEL)

    assert outcome_of(response, 409) == expected
    assert not AppointmentStatusChange.objects.exists()


@pytest.mark.parametrize(
    ("method", "body", "status", "expected"),
    [
        (
            "patch",
            [{"op": "test", "path": "/status", "value": "arrived"}],
            400,
            "test of '/status' failed",
        ),
        ("patch", [{"op": "replace", "path": "/nothing/here", "value": 1}], 400, "does not exist"),
        ("patch", {"status": "cancelled"}, 400, "A JSON Patch is a non-empty JSON array"),
        (
            "patch",
            [{"op": "replace", "path": "/minutesDuration", "value": "x"}],
            400,
            "not valid FHIR R4",
        ),
        ("put", {"resourceType": "Appointment", "status": "cancelled"}, 400, "participant"),
        ("put", "[", 400, "The body is not JSON"),
    ],
)
def test_a_malformed_update_is_a_400(send, booked, method, body, status, expected):
    assert expected in outcome_of(send(method, booked, body), status)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.SCHEDULED


def test_a_put_must_carry_the_urls_id(client, send, front_desk, booked):
    body = as_read(client, booked, front_desk) | {"status": "cancelled"}

    assert "must be the id in the URL" in outcome_of(send("put", booked, body | {"id": "1"}), 400)
    body.pop("id")
    assert "must be the id in the URL" in outcome_of(send("put", booked, body), 400)


def test_a_patch_must_be_a_json_patch_and_a_put_fhir_json(send, booked):
    as_fhir = send("patch", booked, CANCEL, content_type="application/fhir+json")
    as_patch = send("put", booked, CANCEL, content_type=JSON_PATCH)

    assert "Send the body as application/json-patch+json" in outcome_of(as_fhir, 415)
    assert "Send the body as application/fhir+json" in outcome_of(as_patch, 415)


def test_an_unknown_appointment_is_a_404(send, booked):
    booked.pk = 999_999

    assert "There is no Appointment with id 999999" in outcome_of(
        send("patch", booked, CANCEL), 404
    )


@pytest.mark.parametrize("role", ["doctor", "billing_clerk", "outsider"])
def test_only_the_desk_and_administrators_cancel(request, send, booked, role):
    response = send("patch", booked, CANCEL, user=request.getfixturevalue(role))

    assert outcome_of(response, 403) == "Your role may not cancel appointments."
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.SCHEDULED


def test_an_administrator_cancels(send, admin_user, booked):
    assert parsed(send("patch", booked, CANCEL, user=admin_user)).status == "cancelled"
