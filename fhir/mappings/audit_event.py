"""AuditEvent: the audit log (core.AuditEvent) for administrators, as the audit page and its
CSV export show it (clinical.access: "browse the audit log").

Each row: its type (DICOM's audit event types: Patient Record, User Authentication, Export,
Application Activity; FHIR's RESTful Operation for the API's own rows), the action (C, R, U,
D, E), when, who (the user, a Practitioner reference when the user is a doctor, the client's
address), the hospital system as the source, and what: the record, the patients it names
(Patient references), and the changes as the record entity's details.

Search: `date` (when), `patient` (rows about the patient, the list views naming them too),
`agent` (a username or user id), `action`. Newest first, paged by id (the primary key), so
the rows written while a client pages (its own export rows among them) come before its first
page and never lengthen its walk. Each request is itself one audit row (EXPORT, like the CSV
export), naming the patients of the rows it returned."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from fhir.resources.R4B.auditevent import AuditEvent as AuditEventResource

from clinical import access
from core.models import AuditEvent, naming_patient
from core.params import is_digits
from doctors.models import Doctor
from fhir.errors import BadRequest
from fhir.kinds import Keyset, Plan, ResourceType, SearchParam
from fhir.mappings.common import present
from fhir.search import Token, any_of, moment_condition, reference_id
from fhir.systems import username_system

Action = AuditEvent.Action
DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
ACTION_SYSTEM = "http://hl7.org/fhir/audit-event-action"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"

# FHIR's action of each of the log's.
ACTIONS = {
    Action.CREATE: "C",
    Action.VIEW: "R",
    Action.EXPORT: "R",
    Action.UPDATE: "U",
    Action.DELETE: "D",
    Action.LOGIN: "E",
    Action.LOGOUT: "E",
    Action.LOGIN_FAILED: "E",
}
SIGN_IN = (Action.LOGIN, Action.LOGOUT, Action.LOGIN_FAILED)
# The records the API serves, by the log's object type: the entity is a reference to it.
SERVED = {
    "patients.patient": "Patient",
    "doctors.doctor": "Practitioner",
    "billing.invoice": "Invoice",
    "appointments.appointment": "Appointment",
    "core.auditevent": "AuditEvent",
}
PEOPLE = ("patients.patient", "auth.user")
# Keys of `changes` never sent, should a row ever hold one (none does: the services log no
# secret); the patients named are entities of their own.
WITHHELD = ("password", "secret")


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


@dataclass(frozen=True)
class NewestFirst(Keyset):
    """Rows by id, newest first: a page after a row is `id < its id`, one range of the
    primary key's index."""

    def order(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("-pk")

    def after(self, queryset: QuerySet, key: Sequence[Any]) -> QuerySet:
        return queryset.filter(pk__lt=key[0])


def events() -> QuerySet[AuditEvent]:
    """The log, with the doctor each user is (if any): one subquery on the doctors' unique
    user column per row, none of the patients' rows."""
    doctor = Doctor.objects.filter(user_id=OuterRef("actor_id")).values("pk")[:1]
    return AuditEvent.objects.annotate(fhir_doctor=Subquery(doctor))


# --- the resource -----------------------------------------------------------------------------


def to_resource(event: AuditEvent) -> AuditEventResource:
    kind, subtypes = _type(event)
    data: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.pk),
        "meta": {"lastUpdated": event.created_at.isoformat()},
        "type": kind,
        "subtype": subtypes,
        "action": ACTIONS.get(event.action, "E"),
        "recorded": event.created_at.isoformat(),
        "outcome": "4" if event.action == Action.LOGIN_FAILED else "0",
        "outcomeDesc": "Login failed" if event.action == Action.LOGIN_FAILED else None,
        "agent": [_agent(event)],
        "source": {
            "observer": {"display": "HMS hospital management system"},
            "type": [_coding(SOURCE_TYPE, "4", "Application Server")],
        },
        "entity": _entities(event),
    }
    return AuditEventResource.model_validate(present(data))


def _type(event: AuditEvent) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The closest standard event type, and subtypes (the sign-in's, the API interaction)."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    subtypes = []
    if changes.get("api") == "FHIR" and isinstance(changes.get("interaction"), str):
        interaction = changes["interaction"]
        subtypes.append({"system": INTERACTION, "code": interaction})
    if event.action in SIGN_IN:
        login = event.action != Action.LOGOUT
        subtypes.insert(
            0, _coding(DCM, "110122", "Login") if login else _coding(DCM, "110123", "Logout")
        )
        return _coding(DCM, "110114", "User Authentication"), subtypes
    if event.action == Action.EXPORT:
        return _coding(DCM, "110106", "Export"), subtypes
    if changes.get("api") == "FHIR":
        return _coding(EVENT_TYPE, "rest", "RESTful Operation"), subtypes
    if _patients(event):
        return _coding(DCM, "110110", "Patient Record"), subtypes
    if event.object_type == "auth.group":
        return _coding(DCM, "110136", "Security Roles Changed"), subtypes
    if event.object_type == "auth.user":
        return _coding(DCM, "110137", "User Security Attributes Changed"), subtypes
    return _coding(DCM, "110100", "Application Activity"), subtypes


def _agent(event: AuditEvent) -> dict[str, Any]:
    """Who: the user (by username, id, and as a Practitioner when a doctor), requesting from
    the address the log holds; the system itself for a row without one."""
    if event.actor_id is None and not event.actor_username:
        return {
            "type": {"coding": [_coding(DCM, "110150", "Application")]},
            "who": {"display": "HMS (the system)"},
            "requestor": False,
        }
    who: dict[str, Any] = {"display": event.actor_username or f"user {event.actor_id}"}
    if event.actor_username:
        who["identifier"] = {"system": username_system(), "value": event.actor_username}
    doctor = getattr(event, "fhir_doctor", None)
    if doctor is not None:
        who["reference"] = f"Practitioner/{doctor}"
    agent = {
        "type": {"coding": [_coding(ROLE_TYPE, "humanuser", "human user")]},
        "who": who,
        "altId": str(event.actor_id) if event.actor_id is not None else None,
        "name": event.actor_username,
        "requestor": True,
    }
    if event.ip_address:
        agent["network"] = {"address": event.ip_address, "type": "2"}
    return agent


def _patients(event: AuditEvent) -> list[int]:
    """The patients a row is about: its own, and those a list or report view named."""
    named = event.changes.get("patients") if isinstance(event.changes, dict) else None
    ids = [event.patient_id] if event.patient_id is not None else []
    if isinstance(named, list):
        ids += [pk for pk in named if isinstance(pk, int)]
    return list(dict.fromkeys(ids))


def _entities(event: AuditEvent) -> list[dict[str, Any]]:
    entities = []
    patients = _patients(event)
    is_patient = event.object_type == "patients.patient" and event.object_id.isdigit()
    record_patient = event.object_id if is_patient else None
    if event.object_type:
        entities.append(_record(event, is_patient=record_patient is not None))
    for pk in patients:
        if record_patient == str(pk):
            continue  # the record entity is this patient
        entities.append(
            {
                "what": {"reference": f"Patient/{pk}"},
                "type": _coding(ENTITY_TYPE, "1", "Person"),
                "role": _coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    return entities


def _record(event: AuditEvent, *, is_patient: bool) -> dict[str, Any]:
    """The record acted on: a reference when the API serves it, else its type and id; the
    changes (field: before and after, or what the event says) as details, and the page."""
    what: dict[str, Any] = {"display": event.object_repr or None}
    served = SERVED.get(event.object_type)
    if served and event.object_id.isdigit():
        what["reference"] = f"{served}/{event.object_id}"
    elif event.object_id:
        what["identifier"] = {"type": {"text": event.object_type}, "value": event.object_id}
    details = [
        {"type": key, "valueString": json.dumps(value, ensure_ascii=False, sort_keys=True)}
        for key, value in sorted((event.changes or {}).items())
        if key != "patients" and not any(word in key.lower() for word in WITHHELD)
    ]
    if event.path:
        details.append({"type": "path", "valueString": event.path})
    person = event.object_type in PEOPLE
    return {
        "what": present(what) or None,
        "type": _coding(ENTITY_TYPE, "1", "Person")
        if person
        else _coding(ENTITY_TYPE, "2", "System Object"),
        "role": _coding(OBJECT_ROLE, "1", "Patient") if is_patient else None,
        "name": event.object_repr or None,
        "description": event.object_type,
        "detail": details,
    }


# --- search -----------------------------------------------------------------------------------


def _date(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, lambda one: moment_condition("created_at", one, param="date")))


def _patient(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(
            any_of(
                value,
                lambda one: naming_patient(reference_id(one, target="Patient", param="patient")),
            )
        )


def _agent_param(plan: Plan, values: list[str]) -> None:
    """A username (case-blind, as the audit page's filter) or a user's id."""

    def match(value: str) -> Q:
        by_name = Q(actor_username__iexact=value)
        return by_name | Q(actor_id=int(value)) if is_digits(value) else by_name

    for value in values:
        plan.where(any_of(value, match))


def _action(plan: Plan, values: list[str]) -> None:
    codes = sorted(set(ACTIONS.values()))

    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in codes or not token.in_system(ACTION_SYSTEM):
            raise BadRequest(f"action: '{value[:40]}' is none of {', '.join(codes)}.")
        return Q(action__in=[mine for mine, fhir in ACTIONS.items() if fhir == token.code])

    for value in values:
        plan.where(any_of(value, match))


def _patient_ids(rows: Sequence[AuditEvent]) -> list[int]:
    return [row.patient_id for row in rows if row.patient_id is not None]


TYPE = ResourceType(
    name="AuditEvent",
    documentation=(
        "The audit log: who did what to which record, when and from where, the patients it "
        "names and the changes; newest first. Administrators only; each request is itself "
        "an audit row (an export)."
    ),
    allows=lambda user: access.has_need(user, access.Need.AUDIT),
    refusal="Only administrators read the audit log.",
    start=lambda: Plan(base=events(), keyset=NewestFirst()),
    get=lambda pk: events().filter(pk=pk).first(),
    to_resource=to_resource,
    patient_ids=_patient_ids,
    audit_action=Action.EXPORT,
    params=(
        SearchParam(
            "date",
            "date",
            "When it was recorded: YYYY, YYYY-MM, YYYY-MM-DD (days in the hospital's time "
            "zone) or a dateTime, with a prefix eq (default), ge, le, gt or lt.",
            _date,
        ),
        SearchParam(
            "patient",
            "reference",
            "Rows about the patient (Patient/<id> or the id): its own, and list views naming it.",
            _patient,
        ),
        SearchParam(
            "agent",
            "token",
            "Who: a username (case-blind) or a user's id.",
            _agent_param,
        ),
        SearchParam(
            "action",
            "token",
            "C (create), R (read, view or export), U (update), D (delete), E (sign-in and "
            "sign-out).",
            _action,
        ),
    ),
)
