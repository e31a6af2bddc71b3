"""Encounter: a visit (appointments.Attendance): the patient came in for an appointment and
saw its doctor. Ambulatory; finished once the appointment is completed, in progress while
the doctor sees the patient, arrived while waiting; the patient's concerns as the reason and
the doctor's diagnosis in words.

Search: `patient`, `date` (the day the visit began, in the hospital's time zone),
`practitioner`, `status`. Doctors and administrators read it (the chart's table: visits hold
diagnoses and notes); billing clerks and the front desk do not."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from fhir.resources.R4B.encounter import Encounter

from appointments.models import AppointmentStatus, Attendance
from clinical import selectors
from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from fhir.search import Token, any_of, date_condition, reference_id

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
STATUS_SYSTEM = "http://hl7.org/fhir/encounter-status"
_SEEN = (AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.CHECKED_IN)
# Each status the hospital's visits take, as a condition on the visit and its appointment
# (`status` below says the same of one visit; tests/fhir hold the two together). The other
# codes of the value set match nothing.
STATUS_CONDITIONS = {
    "finished": Q(appointment__status=AppointmentStatus.COMPLETED),
    "cancelled": Q(appointment__status=AppointmentStatus.CANCELLED),
    "in-progress": Q(appointment__status=AppointmentStatus.CHECKED_IN, started_at__isnull=False),
    "arrived": Q(appointment__status=AppointmentStatus.CHECKED_IN, started_at__isnull=True),
    "unknown": ~Q(appointment__status__in=_SEEN),
}
STATUS_CODES = (
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
)


def status(visit: Attendance) -> str:
    appointment_status = visit.appointment.status
    if appointment_status == AppointmentStatus.COMPLETED:
        return "finished"
    if appointment_status == AppointmentStatus.CANCELLED:
        return "cancelled"  # the patient left before being seen
    if appointment_status == AppointmentStatus.CHECKED_IN:
        return "in-progress" if visit.started_at is not None else "arrived"
    return "unknown"


def _began(visit: Attendance):
    """When the visit began: arrival at the desk, else the doctor's start, else the booking."""
    return visit.checked_in_at or visit.started_at or visit.appointment.start


def to_resource(visit: Attendance) -> Encounter:
    appointment = visit.appointment
    doctor = appointment.doctor
    period = {"start": timezone.localtime(_began(visit)).isoformat()}
    if visit.completed_at is not None:
        period["end"] = timezone.localtime(visit.completed_at).isoformat()
    data: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(visit.pk),
        "meta": meta(visit),
        "status": status(visit),
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "subject": clinical.patient_reference(visit.patient_id),
        "participant": [
            {
                "type": [{"coding": [{"system": PARTICIPATION, "code": "ATND"}]}],
                "individual": {"reference": f"Practitioner/{doctor.pk}", "display": str(doctor)},
            }
        ],
        "appointment": [{"reference": f"Appointment/{appointment.pk}"}],
        "period": period,
        "reasonCode": [{"text": visit.concerns.strip()}] if visit.concerns.strip() else [],
        # The diagnosis in the doctor's words: a reference with its text only (no Condition
        # is made of it; the conditions found at the visit are Conditions of their own).
        "diagnosis": (
            [{"condition": {"display": visit.diagnosis.strip()}}] if visit.diagnosis.strip() else []
        ),
    }
    return Encounter.model_validate(present(data))


def _start() -> Plan:
    began = Coalesce("checked_in_at", "started_at", "appointment__start")
    return Plan(base=selectors.visits().annotate(fhir_began=began))


def _date(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, lambda one: date_condition("fhir_began__date", one, param="date")))


def _practitioner(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        return Q(
            appointment__doctor_id=reference_id(value, target="Practitioner", param="practitioner")
        )

    for value in values:
        plan.where(any_of(value, match))


def _status(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in STATUS_CODES or not token.in_system(STATUS_SYSTEM):
            raise BadRequest(
                f"status: '{value[:40]}' is none of {', '.join(STATUS_CODES)} "
                f"(system {STATUS_SYSTEM})."
            )
        return STATUS_CONDITIONS.get(token.code, Q(pk__in=[]))

    for value in values:
        plan.where(any_of(value, match))


TYPE = ResourceType(
    name="Encounter",
    documentation=(
        "A visit: ambulatory, its status (finished, in-progress, arrived, cancelled), the "
        "patient, the doctor, the appointment, when it began and ended, the patient's "
        "concerns (reasonCode text) and the diagnosis in words. Doctors and administrators "
        "read it, as they read the chart; every read is audited."
    ),
    allows=clinical.reads_chart,
    refusal=clinical.CHART_REFUSAL.format(what="visits"),
    start=_start,
    get=lambda pk: selectors.visits().filter(pk=pk).first(),
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=lambda patient: selectors.visits().filter(patient=patient).order_by("pk"),
    params=(
        clinical.PATIENT,
        SearchParam(
            "date",
            "date",
            "The day the visit began (arrival), in the hospital's time zone: YYYY, YYYY-MM or "
            "YYYY-MM-DD, with a prefix eq (default), ge, le, gt or lt.",
            _date,
        ),
        SearchParam(
            "practitioner",
            "reference",
            "The appointment's doctor: Practitioner/<id>, or the id.",
            _practitioner,
        ),
        SearchParam(
            "status",
            "token",
            "finished, in-progress, arrived, cancelled or unknown; the other codes match nothing.",
            _status,
        ),
    ),
)
