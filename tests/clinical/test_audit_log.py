"""The audit log: append-only in the database, browsable and filterable by administrators."""

import datetime

import pytest
from django.db import ProgrammingError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from tests.factories import AuditEventFactory, MedicalHistoryFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sql",
    ["UPDATE core_auditevent SET actor_username = 'someone else'", "DELETE FROM core_auditevent"],
)
def test_it_refuses_to_rewrite_or_erase_a_chart_view(login, doctor, patient, sql):
    login(doctor).get(reverse("clinical:chart", args=[patient.pk]))
    with pytest.raises(ProgrammingError, match="permission denied for table core_auditevent"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get(action="view").actor_username == "doctor"


@pytest.fixture
def events(doctor, front_desk):
    ada, bob = PatientFactory(mrn="P0000101"), PatientFactory(mrn="P0000102")
    rows = [
        AuditEventFactory(actor_username="doctor", action="view", patient=ada, object_repr="A1"),
        AuditEventFactory(actor_username="doctor", action="update", patient=bob, object_repr="B1"),
        AuditEventFactory(
            actor_username="frontdesk", action="create", patient=ada, object_repr="A2"
        ),
    ]
    rows.append(
        AuditEventFactory(actor_username="doctor", action="view", patient=ada, object_repr="A3")
    )
    return {"ada": ada, "bob": bob, "rows": rows}


def reprs(response) -> list[str]:
    return [e.object_repr for e in response.context["page"].items]


def test_it_filters_by_user_patient_action_and_dates(login, admin_user, events):
    client = login(admin_user)
    url = reverse("clinical:audit_list")
    assert set(reprs(client.get(url, {"user": "DOCTOR"}))) == {"A1", "B1", "A3"}
    assert set(reprs(client.get(url, {"mrn": "p0000101"}))) == {"A1", "A2", "A3"}
    assert reprs(client.get(url, {"action": "update"})) == ["B1"]
    assert set(reprs(client.get(url, {"user": "doctor", "mrn": "P0000101"}))) == {"A1", "A3"}
    today = timezone.localdate()
    in_range = client.get(url, {"date_from": today, "date_to": today})
    # The four events, and the administrator's own login ("admin") that opened the page.
    assert sorted(reprs(in_range)) == ["A1", "A2", "A3", "B1", "admin"]
    tomorrow = today + datetime.timedelta(days=1)
    assert reprs(client.get(url, {"date_from": tomorrow})) == []
    assert reprs(client.get(url, {"date_to": today - datetime.timedelta(days=1)})) == []
    unknown = client.get(url, {"mrn": "nobody"})
    assert reprs(unknown) == [] and "No patient has this MRN" in unknown.text


def test_it_pages_the_log_newest_first(login, admin_user):
    AuditEventFactory.create_batch(119)  # and the administrator's login below: 120 events
    client = login(admin_user)
    url = reverse("clinical:audit_list")
    first = client.get(url)
    assert len(first.context["page"].items) == 50 and first.context["page"].has_next
    third = client.get(url, {"page": 3})
    assert len(third.context["page"].items) == 20 and not third.context["page"].has_next
    ids = [e.pk for e in first.context["page"].items]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("name", ["audit_list", "patient_access_log"])
def test_it_shows_an_empty_page_for_a_page_number_past_any_end(login, admin_user, patient, name):
    AuditEventFactory.create_batch(3)
    args = [patient.pk] if name == "patient_access_log" else []
    response = login(admin_user).get(
        reverse(f"clinical:{name}", args=args), {"page": "99999999999999999999"}
    )
    assert response.status_code == 200
    assert response.context["page"].items == [] and not response.context["page"].has_next


@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_it_refuses_a_date_out_of_range_with_a_message(login, admin_user, field):
    AuditEventFactory.create_batch(3)
    response = login(admin_user).get(reverse("clinical:audit_list"), {field: "9999-12-31"})
    assert response.status_code == 200
    assert response.context["page"].items == []
    assert "Enter a date from 1900 to 2999." in response.text


def test_it_keeps_the_filters_on_the_next_page_link(login, admin_user):
    AuditEventFactory.create_batch(60, actor_username="doctor")
    response = login(admin_user).get(reverse("clinical:audit_list"), {"user": "doctor"})
    assert "?user=doctor&amp;page=2" in response.text


def test_it_shows_a_patients_whole_access_history_on_one_page(
    login, admin_user, doctor, other_doctor, patient
):
    chart = reverse("clinical:chart", args=[patient.pk])
    login(doctor).get(chart)
    login(doctor).get(chart)
    login(other_doctor).get(chart)
    response = login(admin_user).get(reverse("clinical:patient_access_log", args=[patient.pk]))
    assert response.status_code == 200
    summary = {row.username: (row.views, row.changes) for row in response.context["summary"]}
    assert summary == {"doctor": (2, 0), "otherdoctor": (1, 0)}
    assert len(response.context["page"].items) == 3
    assert "otherdoctor" in response.text


def test_it_counts_a_list_page_that_showed_the_patient_among_others(
    login, admin_user, doctor, patient
):
    other = PatientFactory()
    MedicalHistoryFactory(patient=patient, description="Asthma")
    MedicalHistoryFactory(patient=other, description="Gout")
    login(doctor).get(reverse("clinical:chart", args=[patient.pk]))
    client = login(admin_user)
    assert client.get(reverse("admin:patients_medicalhistory_changelist")).status_code == 200

    response = client.get(reverse("clinical:patient_access_log", args=[patient.pk]))

    summary = {row.username: (row.views, row.changes) for row in response.context["summary"]}
    assert summary == {"doctor": (1, 0), "admin": (1, 0)}
    assert len(response.context["page"].items) == 2
    filtered = client.get(reverse("clinical:audit_list"), {"mrn": other.mrn})
    assert [e.actor_username for e in filtered.context["page"].items] == ["admin"]


def test_it_lists_the_audit_log_in_few_queries(login, admin_user, django_assert_max_num_queries):
    AuditEventFactory.create_batch(80, patient=PatientFactory())
    client = login(admin_user)
    client.get(reverse("clinical:audit_list"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("clinical:audit_list"))
    assert response.status_code == 200
