"""AuditEvent: the audit log for administrators only, each row as the standard codes say (type,
action, who from where, the record and the patients, the changes), searched by date, patient,
agent and action, newest first and paged by id; every request is one EXPORT row of its own,
and paging through the log ends even as those rows are written."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.auditevent import AuditEvent as AuditEventResource
from fhir.resources.R4B.bundle import Bundle

from core.models import AuditEvent
from tests.factories import AuditEventFactory, DoctorFactory, PatientFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db

DCM = "http://dicom.nema.org/resources/ontology/DCM"


def at(moment: datetime.datetime, **fields) -> AuditEvent:
    """An audit row recorded at `moment` (the log is append-only: its time is set as written)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        return AuditEventFactory(**fields)


def read(api, event: AuditEvent, user=None) -> AuditEventResource:
    return parsed(api(url("auditevent_read", event.pk), user=user), AuditEventResource)


def found(api, **query) -> list[int]:
    bundle = parsed(api(url("auditevent_search"), **query), Bundle)
    return [int(r.id) for r in entries(bundle, AuditEventResource)]


def test_a_change_to_a_patient_is_a_patient_record_update_with_its_changes(api, admin_user):
    patient = PatientFactory()
    event = AuditEventFactory(
        actor=admin_user,
        actor_username="admin",
        action="update",
        object_type="patients.patient",
        object_id=str(patient.pk),
        object_repr=str(patient),
        patient=patient,
        changes={"phone": {"before": "555-0100", "after": "555-0199"}},
        ip_address="10.0.0.7",
        path=f"/patients/{patient.pk}/edit/",
    )

    resource = read(api, event)

    assert (resource.type.system, resource.type.code) == (DCM, "110110")
    assert resource.action == "U" and resource.outcome == "0"
    assert resource.recorded == event.created_at
    (agent,) = resource.agent
    assert agent.requestor is True
    assert agent.who.display == "admin" and agent.altId == str(admin_user.pk)
    assert agent.network.address == "10.0.0.7"
    (entity,) = resource.entity  # the record is the patient: one entity
    assert entity.what.reference == f"Patient/{patient.pk}"
    assert entity.role.code == "1"  # Patient
    details = {d.type: d.valueString for d in entity.detail}
    assert json.loads(details["phone"]) == {"before": "555-0100", "after": "555-0199"}
    assert details["path"] == f"/patients/{patient.pk}/edit/"
    assert resource.source.observer.display


def test_sign_ins_doctors_and_the_system_use_the_standard_codes(api, doctor):
    signed_in = AuditEventFactory(
        actor=doctor, actor_username="doctor", action="login", object_type="", changes={}
    )
    failed = AuditEventFactory(
        actor=None, actor_username="mallory", action="login_failed", object_type=""
    )
    system = AuditEventFactory(actor=None, actor_username="", action="create", changes={})
    own = DoctorFactory._meta.model.objects.get(user=doctor)

    login = read(api, signed_in)
    assert (login.type.code, login.subtype[0].code, login.action) == ("110114", "110122", "E")
    assert login.agent[0].who.reference == f"Practitioner/{own.pk}"
    refused = read(api, failed)
    assert (refused.outcome, refused.agent[0].who.display) == ("4", "mallory")
    assert refused.agent[0].altId is None
    by_system = read(api, system)
    assert by_system.agent[0].requestor is False
    assert by_system.type.code == "110100"  # Application Activity


def test_an_api_read_is_a_restful_operation_naming_its_patients(api, admin_user):
    patients = PatientFactory.create_batch(2)
    parsed(api(url("patient_search"), _count="5"), Bundle)
    row = AuditEvent.objects.filter(action="view").latest("pk")

    resource = read(api, row)

    assert (resource.type.code, resource.subtype[0].code) == ("rest", "search-type")
    assert resource.action == "R"
    named = sorted(e.what.reference for e in resource.entity if e.role and e.role.code == "1")
    assert resource.entity[0].what is None  # the record: a list of patients
    assert named == sorted(f"Patient/{p.pk}" for p in patients)


def test_secrets_in_changes_are_never_sent(api):
    event = AuditEventFactory(changes={"password": "hunter2", "client_secret": "x", "name": "y"})

    resource = read(api, event)

    assert [d.type for d in resource.entity[0].detail] == ["name"]
    assert "hunter2" not in api(url("auditevent_read", event.pk)).content.decode()


@pytest.fixture
def log(admin_user):
    zone = timezone.get_current_timezone()
    ada, bo = PatientFactory(), PatientFactory()
    return {
        "ada": ada,
        "bo": bo,
        "march": at(
            datetime.datetime(2026, 3, 3, 9, 0, tzinfo=zone),
            actor=admin_user,
            actor_username="admin",
            action="view",
            patient=ada,
        ),
        "list": at(
            datetime.datetime(2026, 3, 20, 9, 0, tzinfo=zone),
            actor=None,
            actor_username="Nurse.Kim",
            action="view",
            object_type="patients.patient",
            changes={"patients": [ada.pk, bo.pk]},
        ),
        "april": at(
            datetime.datetime(2026, 4, 1, 0, 30, tzinfo=zone),
            actor=None,
            actor_username="billing",
            action="delete",
            patient=bo,
        ),
    }


def test_it_searches_by_date_patient_agent_and_action(api, log, admin_user):
    ids = {name: getattr(row, "pk", None) for name, row in log.items()}
    march_on = {"date": ["ge2026-03-01", "lt2026-05"]}

    assert found(api, **march_on) == [ids["april"], ids["list"], ids["march"]]  # newest first
    assert found(api, date="2026-04-01") == [ids["april"]]
    assert found(api, date=["gt2026-03-03T09:00:00+00:00", "lt2026-04"]) == [ids["list"]]
    # (Each search is an export row naming the patients it returned: dated today.)
    assert found(api, patient=f"Patient/{ids['ada']}", **march_on) == [ids["list"], ids["march"]]
    assert found(api, patient=str(ids["bo"]), **march_on) == [ids["april"], ids["list"]]
    assert found(api, agent="nurse.kim") == [ids["list"]]
    assert found(api, agent=str(admin_user.pk), **march_on) == [ids["march"]]
    assert found(api, agent="²") == []  # a digit to str.isdigit(), not to int(): a name
    assert found(api, action="D") == [ids["april"]]
    assert found(api, action="R", **march_on) == [ids["list"], ids["march"]]
    assert "action" in outcome_of(api(url("auditevent_search"), action="delete"), 400)


def test_it_pages_newest_first_and_a_walk_ends_though_each_page_is_logged(api, log):
    api(url("auditevent_search"), _count="1")  # the token (an audit row), made on first use
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    seen, page = [], parsed(api(url("auditevent_search"), _count="1"), Bundle)
    while True:
        seen += [int(r.id) for r in entries(page)]
        if link(page, "next") is None:
            break
        page = parsed(api(link(page, "next")), Bundle)

    # Every row there was when the walk began, once, newest first; none of the walk's own.
    assert seen == sorted(before, reverse=True)
    assert AuditEvent.objects.filter(action="export").count() == len(seen) + 1


def test_each_request_is_one_export_row_naming_the_patients_returned(api, admin_user, log):
    api(url("auditevent_search"), _count="1")  # the token, made on first use
    parsed(api(url("auditevent_search"), date="2026-04-01"), Bundle)
    read(api, log["march"])

    search, one = AuditEvent.objects.filter(action="export").order_by("pk")[1:]
    assert search.actor_id == admin_user.pk and search.object_type == "core.auditevent"
    assert search.changes["patients"] == [log["bo"].pk]
    assert search.changes["query"] == "date=2026-04-01"
    assert (one.object_id, one.patient_id) == (str(log["march"].pk), log["ada"].pk)
    assert read(api, search).type.code == "110106"  # Export


def test_only_administrators_read_the_log(api, front_desk, doctor, billing_clerk, outsider):
    event = AuditEventFactory()

    for user in (front_desk, doctor, billing_clerk, outsider):
        assert "administrators" in outcome_of(api(url("auditevent_read", event.pk), user=user), 403)
        outcome_of(api(url("auditevent_search"), user=user), 403)
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_row_naming_no_record_is_still_a_valid_resource(api):
    bare = AuditEventFactory(
        actor=None, actor_username="", object_type="core.setting", object_id="", object_repr=""
    )

    resource = read(api, bare)

    assert resource.entity[0].what is None and resource.entity[0].description == "core.setting"


def test_a_page_costs_the_same_queries_however_many_rows(
    api, doctor, django_assert_max_num_queries
):
    AuditEventFactory.create_batch(30, actor=doctor, actor_username="doctor")
    api(url("auditevent_search"), _count="1")  # the token, made on first use

    # The token (and its last use), the throttle, one page of rows with each user's doctor,
    # the export row.
    with django_assert_max_num_queries(5):
        bundle = parsed(api(url("auditevent_search"), _count="30"), Bundle)

    assert len(entries(bundle)) == 30
    assert {r.agent[0].who.reference for r in entries(bundle)} >= {
        f"Practitioner/{DoctorFactory._meta.model.objects.get(user=doctor).pk}"
    }
