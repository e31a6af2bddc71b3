"""Appointment: a booking (appointments.Appointment): its status, start and end, the reason for
the visit the desk typed when booking, the patient and the doctor. Read by the roles that see
appointments on the pages (appointments.access: the front desk, doctors (every doctor's),
billing clerks, administrators); every read is audited as the chart's are.

The reason for the visit is what the front desk types when it books ("follow-up", "chest
pain"): the appointment page shows it to every role that sees appointments, billing clerks
included, so the API does too (`reasonCode.text`). What the doctor records at the visit
(concerns, symptoms, diagnosis, notes) is the visit's, not the appointment's, and is not here.

Search: `patient`, `practitioner`, `actor` (either), `date` (the start, with eq, ge, gt, le,
lt; a partial date is its days in the hospital's time zone), `status`. Paged by (start, id),
on the indexes of the appointment's start (alone, or after its doctor or its patient).

Writes (booking, cancelling): fhir.mappings.appointment_write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from fhir.resources.R4B.appointment import Appointment as AppointmentResource

from appointments import access
from appointments.models import Appointment, AppointmentStatus
from fhir.errors import BadRequest
from fhir.kinds import Keyset, Plan, ResourceType, SearchParam
from fhir.mappings import appointment_write
from fhir.mappings.common import meta, present, validated
from fhir.search import STALE_LINK, Token, any_of, moment_condition, reference_id

STATUS_SYSTEM = "http://hl7.org/fhir/appointmentstatus"
# Ours → FHIR's (http://hl7.org/fhir/R4/valueset-appointmentstatus.html).
STATUS = {
    AppointmentStatus.SCHEDULED: "booked",
    AppointmentStatus.CHECKED_IN: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
OURS = {code: status for status, code in STATUS.items()}
# FHIR's other codes: valid in a search, matched by no appointment here.
UNUSED_STATUSES = ("proposed", "pending", "entered-in-error", "checked-in", "waitlist")


class StartKeyset(Keyset):
    """(start, id): the start travels in the page link as ISO 8601 text (a signed cursor
    holds strings and numbers) and is read back as the moment it was."""

    def key(self, row: Appointment) -> list[Any]:
        return [row.start.isoformat(), row.pk]

    def after(self, queryset: QuerySet, key: Sequence[Any]) -> QuerySet:
        start = parse_datetime(key[0]) if isinstance(key[0], str) else None
        if start is None or start.tzinfo is None or not isinstance(key[1], int):
            raise BadRequest(STALE_LINK)
        return super().after(queryset, [start, key[1]])


KEYSET = StartKeyset(columns=("start", "pk"))


def appointments() -> QuerySet[Appointment]:
    """Appointments with what the resource shows of the patient and the doctor: one query."""
    return Appointment.objects.select_related("patient", "doctor__specialty")


def to_resource(appointment: Appointment) -> AppointmentResource:
    data: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "meta": meta(appointment),
        "status": STATUS[appointment.status],
        "specialty": [{"text": appointment.doctor.specialty.name}],
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "minutesDuration": int((appointment.end - appointment.start).total_seconds() // 60),
        "created": appointment.created_at.isoformat(),
        "participant": [
            _participant("Patient", appointment.patient_id, appointment.patient.full_name),
            _participant("Practitioner", appointment.doctor_id, str(appointment.doctor)),
        ],
    }
    if appointment.reason.strip():
        data["reasonCode"] = [{"text": appointment.reason.strip()}]
    if appointment.cancel_reason.strip():
        data["cancelationReason"] = {"text": appointment.cancel_reason.strip()}
    return validated(AppointmentResource, data)


def _participant(type_name: str, pk: int, display: str) -> dict[str, Any]:
    actor = present({"reference": f"{type_name}/{pk}", "display": display})
    return {"actor": actor, "required": "required", "status": "accepted"}


# --- search -----------------------------------------------------------------------------------


def _by(field: str, target: str, param: str):
    def apply(plan: Plan, values: list[str]) -> None:
        def match(value: str) -> Q:
            return Q(**{field: reference_id(value, target=target, param=param)})

        for value in values:
            plan.where(any_of(value, match))

    return apply


def _actor(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        parts = value.rstrip("/").split("/")
        target = parts[-2] if len(parts) >= 2 else ""
        if target not in ("Patient", "Practitioner"):
            raise BadRequest(
                f"actor: '{value[:80]}' names no Patient or Practitioner: write "
                "Patient/<id> or Practitioner/<id>."
            )
        field = "patient_id" if target == "Patient" else "doctor_id"
        return Q(**{field: reference_id(value, target=target, param="actor")})

    for value in values:
        plan.where(any_of(value, match))


def _date(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, lambda one: moment_condition("start", one, param="date")))


def _status(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if not token.in_system(STATUS_SYSTEM) or token.code not in (*OURS, *UNUSED_STATUSES):
            raise BadRequest(
                f"status: '{value[:40]}' is none of {', '.join([*OURS, *UNUSED_STATUSES])} "
                f"(system {STATUS_SYSTEM})."
            )
        return Q(status=OURS[token.code]) if token.code in OURS else Q(pk__in=[])

    for value in values:
        plan.where(any_of(value, match))


def _patient_ids(rows: Sequence[Appointment]) -> list[int]:
    return list(dict.fromkeys(row.patient_id for row in rows))


TYPE = ResourceType(
    name="Appointment",
    documentation=(
        "A booking: status (booked, arrived, fulfilled, cancelled, noshow), start, end, "
        "minutes, the reason for the visit typed at booking, the patient and the doctor, the "
        "cancellation's reason. Read by the roles that see appointments on the pages (front "
        "desk, doctors, billing clerks, administrators), every read audited as the chart's; "
        "booked (POST) and cancelled (PUT, PATCH) by the front desk and administrators "
        "through the booking desk's own rules."
    ),
    allows=lambda user: access.has_need(user, access.Need.VIEW),
    refusal="Your role may not read appointments.",
    start=lambda: Plan(base=appointments(), keyset=KEYSET),
    get=lambda pk: appointments().filter(pk=pk).first(),
    to_resource=to_resource,
    patient_ids=_patient_ids,
    create=appointment_write.CREATE,
    update=appointment_write.UPDATE,
    for_patient=lambda patient: appointments().filter(patient=patient).order_by("start", "pk"),
    params=(
        SearchParam(
            "patient",
            "reference",
            "The patient: Patient/<id>, or the id.",
            _by("patient_id", "Patient", "patient"),
        ),
        SearchParam(
            "practitioner",
            "reference",
            "The doctor: Practitioner/<id>, or the id.",
            _by("doctor_id", "Practitioner", "practitioner"),
        ),
        SearchParam(
            "actor",
            "reference",
            "The patient or the doctor: Patient/<id> or Practitioner/<id>.",
            _actor,
        ),
        SearchParam(
            "date",
            "date",
            "The start: YYYY, YYYY-MM, YYYY-MM-DD (days in the hospital's time zone) or a "
            "dateTime, with a prefix eq (default), ge, gt, le or lt.",
            _date,
        ),
        SearchParam(
            "status",
            "token",
            "booked (scheduled), arrived (checked in), fulfilled (completed), cancelled, "
            "noshow; FHIR's other codes match nothing.",
            _status,
        ),
    ),
)
