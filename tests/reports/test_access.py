"""Who opens which report (DESIGN.md's Roles table, Reports row), on the page and as CSV."""

import datetime

import pytest
from django.urls import reverse

from core.models import AuditEvent
from reports.registry import REPORTS
from tests.factories import AppointmentFactory
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

ALLOWED = {
    "front_desk": {"appointments", "appointment-patterns"},
    "doctor": {"appointments", "doctor-workload"},
    "billing_clerk": {"patient-bills", "revenue"},
    "admin_user": set(REPORTS),
    "outsider": set(),
}
CASES = [(role, name) for role in ALLOWED for name in REPORTS]


def test_it_has_the_seven_reports_of_issue_6():
    assert set(REPORTS) == {
        "appointments",
        "doctor-workload",
        "patient-health",
        "patient-bills",
        "demographics",
        "appointment-patterns",
        "revenue",
    }


@pytest.mark.parametrize("role, name", CASES)
def test_it_opens_a_report_page_only_to_its_roles(request, login, role, name):
    response = login(request.getfixturevalue(role)).get(
        reverse("reports:report_detail", args=[name])
    )
    assert response.status_code == (200 if name in ALLOWED[role] else 403)


@pytest.mark.parametrize("role, name", CASES)
def test_it_serves_a_reports_csv_only_to_its_roles(request, login, role, name):
    response = login(request.getfixturevalue(role)).get(reverse("reports:report_csv", args=[name]))
    assert response.status_code == (200 if name in ALLOWED[role] else 403)
    if response.status_code == 200:
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="{name}' in response["Content-Disposition"]


@pytest.mark.parametrize("route", ["reports:report_detail", "reports:report_csv"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, route):
    response = client.get(reverse(route, args=["appointments"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_answers_404_for_an_unknown_report(login, admin_user):
    response = login(admin_user).get(reverse("reports:report_detail", args=["nonsense"]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", list(ALLOWED))
def test_it_lists_each_role_only_the_reports_it_may_open(request, login, role):
    response = login(request.getfixturevalue(role)).get(reverse("reports:report_list"))
    if not ALLOWED[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {r.name for r in response.context["reports"]} == ALLOWED[role]
    for name in REPORTS:
        link = reverse("reports:report_detail", args=[name])
        assert (f'href="{link}"' in response.text) == (name in ALLOWED[role])


def test_it_shows_a_doctor_only_their_own_appointments_and_workload(login, doctor, other_doctor):
    day = datetime.date(2024, 3, 4)
    mine = AppointmentFactory(doctor=doctor.doctor, start=at(day, 9), end=at(day, 9, 30))
    AppointmentFactory(doctor=other_doctor.doctor, start=at(day, 9), end=at(day, 9, 30))
    client = login(doctor)

    page = client.get(reverse("reports:report_detail", args=["appointments"]))
    assert [row[0] for row in page.context["rows"]] == [str(mine.pk)]
    assert "doctor" not in page.context["form"].fields  # no choosing another doctor
    assert doctor.doctor.code in page.text

    workload = client.get(reverse("reports:report_detail", args=["doctor-workload"]))
    assert [row[0] for row in workload.context["rows"]] == [doctor.doctor.code]

    csv = client.get(reverse("reports:report_csv", args=["appointments"]))
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"{mine.pk},")


@pytest.mark.parametrize("route", ["reports:report_detail", "reports:report_csv"])
def test_it_refuses_a_doctor_asking_for_another_doctors_figures(login, doctor, other_doctor, route):
    client = login(doctor)
    url = reverse(route, args=["doctor-workload"])
    assert client.get(url, {"doctor": other_doctor.doctor.code}).status_code == 403
    assert client.get(url, {"doctor": doctor.doctor.code}).status_code == 200


def test_it_refuses_a_doctor_login_without_a_doctor_record(login, doctor):
    profile = doctor.doctor
    profile.user = None
    profile.save()
    response = login(doctor).get(reverse("reports:report_detail", args=["appointments"]))
    assert response.status_code == 403


def test_it_records_each_csv_export_in_the_audit_log(login, billing_clerk):
    login(billing_clerk).get(
        reverse("reports:report_csv", args=["revenue"]), {"from": "2024-01-01"}
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == billing_clerk
    assert event.changes == {"report": "revenue", "filters": {"from": "2024-01-01"}}
