"""Booking and cancelling appointments through the API, with the booking desk's services and
its roles (appointments.access: booking and cancelling are the front desk's and the
administrators').

- Create (POST): an Appointment with status `booked` (or `proposed`), a participant
  `Patient/<id>` and one `Practitioner/<id>`, `start`, and `end` or `minutesDuration` (neither:
  one slot of the doctor's hours), the reason for the visit in `reasonCode[0].text` (or
  `description`), is booked by appointments.services.appointment_book: its working hours,
  time off, slot grid and overlap rules. Another appointment holding the time (also one that
  won a race, which the database's exclusion constraint catches) is a 409; any other refusal
  a 422; each says the service's own sentence.
- Update (PUT, PATCH): only cancelling: the status `cancelled`, with `cancelationReason.text`
  as the reason (default CANCEL_REASON), through appointments.services.appointment_cancel.
  Any other change is a 422; what the service refuses (a completed or already cancelled
  appointment) is a 409 with its sentence."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from fhir.resources.R4B.appointment import Appointment as AppointmentResource

from appointments import access, services
from appointments.models import Appointment
from doctors.models import Doctor
from fhir.errors import Conflict, Unprocessable
from fhir.kinds import Write
from fhir.search import reference_id
from patients.models import Patient

CANCEL_REASON = "Cancelled through the FHIR API"
NEW_STATUSES = ("booked", "proposed")
ONLY_CANCEL = (
    "Only cancelling is supported here: send the appointment as it is with status "
    "'cancelled' (and cancelationReason.text, the reason); reschedule on the appointment's page."
)
# What an update may send other than the server has: the status (to cancel), the reason for
# it, and what the server writes itself.
_FREE = ("meta", "text", "status", "cancelationReason")


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def book(user: Any, sent: AppointmentResource) -> Appointment:
    if sent.status not in NEW_STATUSES:
        raise Unprocessable(
            f"A new appointment is 'booked' (or 'proposed'), not '{(sent.status or '')[:20]}'."
        )
    if sent.start is None:
        raise Unprocessable("Say when the appointment starts (start, with its time zone).")
    patient = _actor(sent, Patient, "Patient")
    doctor = _actor(sent, Doctor, "Practitioner")
    try:
        return services.appointment_book(
            patient=patient,
            doctor=doctor,
            start=sent.start,
            end=_end(sent),
            reason=_reason(sent),
            by=user,
        )
    except services.SlotUnavailable as refusal:
        raise (Conflict if refusal.clash else Unprocessable)(str(refusal)) from None
    except ValidationError as error:
        raise Unprocessable(_messages(error)) from None


def _actor(sent: AppointmentResource, model: type, target: str) -> Any:
    """The one participant that is a `target` (`Patient/<id>`, `Practitioner/<id>`, or a URL
    ending so), its record."""
    references = [
        p.actor.reference
        for p in sent.participant
        if p.actor is not None and (p.actor.reference or "").split("/")[-2:-1] == [target]
    ]
    if len(references) != 1:
        raise Unprocessable(
            f"Name one participant {target}/<id> "
            f"({'the patient' if target == 'Patient' else 'the doctor'})."
        )
    pk = reference_id(references[0], target=target, param="participant")
    record = model.objects.filter(pk=pk).first()
    if record is None:
        raise Unprocessable(f"There is no {target} with id {pk}.", code="not-found")
    return record


def _end(sent: AppointmentResource) -> datetime.datetime | None:
    """`end`, else `start` + `minutesDuration`, else None (the service's one slot); both
    given must agree."""
    if sent.minutesDuration is None:
        return sent.end
    if sent.minutesDuration < 1:
        raise Unprocessable("minutesDuration: give the appointment's length in minutes.")
    end = sent.start + datetime.timedelta(minutes=sent.minutesDuration)
    if sent.end is not None and sent.end != end:
        raise Unprocessable("end and minutesDuration disagree: give one of them.")
    return end


def _reason(sent: AppointmentResource) -> str:
    texts = [
        concept.text or next((c.display for c in concept.coding or () if c.display), None)
        for concept in sent.reasonCode or ()
    ]
    return (
        next((text.strip() for text in texts if text and text.strip()), "")
        or (sent.description or "").strip()
    )


def cancel(
    user: Any, appointment: Appointment, current: AppointmentResource, sent: AppointmentResource
) -> Appointment:
    changed = _differences(current, sent)
    if sent.status != "cancelled":
        if changed or sent.status != current.status:
            raise Unprocessable(ONLY_CANCEL)
        return appointment  # the appointment as it is: nothing to do
    if changed:
        raise Unprocessable(
            f"{ONLY_CANCEL} These differ from the appointment: {', '.join(changed)}."
        )
    reason = (sent.cancelationReason.text or "").strip() if sent.cancelationReason else ""
    try:
        return services.appointment_cancel(
            appointment=appointment, reason=reason or CANCEL_REASON, by=user
        )
    except ValidationError as error:
        raise Conflict(_messages(error)) from None


def _differences(current: AppointmentResource, sent: AppointmentResource) -> list[str]:
    """The elements `sent` changes, beside those an update may (moments compared as moments,
    whatever their time zone)."""
    ours = current.model_dump(exclude_none=True)
    theirs = sent.model_dump(exclude_none=True)
    names = (set(ours) | set(theirs)) - set(_FREE)
    return sorted(name for name in names if ours.get(name) != theirs.get(name))


CREATE = Write(
    allows=lambda user: access.has_need(user, access.Need.BOOK),
    refusal="Your role may not book appointments.",
    apply=book,
)
UPDATE = Write(
    allows=lambda user: access.has_need(user, access.Need.CANCEL),
    refusal="Your role may not cancel appointments.",
    apply=cancel,
)
