"""DESIGN.md's roles on every clinical page: who gets 200, who gets 403."""

import pytest
from django.urls import reverse

from tests.clinical.factories import MedicationGivenFactory, checked_in_visit
from tests.factories import MedicalHistoryFactory

pytestmark = pytest.mark.django_db

OK, DENIED = 200, 403

# page -> expected status per role (front desk, doctor, billing clerk, admin, outsider)
MATRIX = {
    "chart": (DENIED, OK, DENIED, OK, DENIED),
    "history_create": (DENIED, OK, DENIED, OK, DENIED),
    "history_correct": (DENIED, OK, DENIED, OK, DENIED),
    "history_revisions": (DENIED, OK, DENIED, OK, DENIED),
    "visit_record": (DENIED, OK, DENIED, OK, DENIED),
    "billable_items": (DENIED, OK, OK, OK, DENIED),
    "doctor_day": (DENIED, OK, DENIED, OK, DENIED),
    "audit_list": (DENIED, DENIED, DENIED, OK, DENIED),
    "patient_access_log": (DENIED, DENIED, DENIED, OK, DENIED),
}
ROLES = ("front_desk", "doctor", "billing_clerk", "admin_user", "outsider")


@pytest.fixture
def pages(other_doctor, patient):
    # The visit belongs to another doctor: reading it is open to every doctor.
    attendance = checked_in_visit(doctor=other_doctor.doctor, patient=patient, started=True)
    entry = MedicalHistoryFactory(patient=patient)
    return {
        "chart": reverse("clinical:chart", args=[patient.pk]),
        "history_create": reverse("clinical:history_create", args=[patient.pk]) + "?kind=condition",
        "history_correct": reverse("clinical:history_correct", args=[entry.pk]),
        "history_revisions": reverse("clinical:history_revisions", args=[entry.pk]),
        "visit_record": reverse("clinical:visit_record", args=[attendance.pk]),
        "billable_items": reverse("clinical:billable_items", args=[patient.pk]),
        "doctor_day": reverse("clinical:doctor_day"),
        "audit_list": reverse("clinical:audit_list"),
        "patient_access_log": reverse("clinical:patient_access_log", args=[patient.pk]),
    }


@pytest.mark.parametrize("page", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_it_gives_each_role_exactly_its_pages(request, login, pages, page, role):
    user = request.getfixturevalue(role)
    expected = MATRIX[page][ROLES.index(role)]
    assert login(user).get(pages[page]).status_code == expected


@pytest.mark.parametrize("page", ["chart", "visit_record", "billable_items", "audit_list"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, pages, page):
    response = client.get(pages[page])
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_answers_403_before_404_so_refused_users_cannot_probe_records(login, front_desk):
    response = login(front_desk).get(reverse("clinical:chart", args=[999_999]))
    assert response.status_code == 403


def test_it_answers_404_for_a_missing_patient_to_a_doctor(login, doctor):
    assert login(doctor).get(reverse("clinical:chart", args=[999_999])).status_code == 404


def test_it_never_shows_diagnoses_or_notes_to_billing_clerks(login, billing_clerk, visit):
    visit.diagnosis = "Secret diagnosis"
    visit.notes = "Private note"
    visit.save()
    MedicalHistoryFactory(
        patient=visit.patient, kind="medication", description="Amoxicillin", attendance=visit
    )
    response = login(billing_clerk).get(reverse("clinical:billable_items", args=[visit.patient.pk]))
    assert response.status_code == 200
    assert "Amoxicillin" in response.text
    assert "Secret diagnosis" not in response.text
    assert "Private note" not in response.text


class TestRunningAVisit:
    """Only the appointment's own doctor, or an administrator, starts, records, completes."""

    @pytest.fixture
    def urls(self, visit):
        item = MedicationGivenFactory(attendance=visit)
        return {
            "visit_record": reverse("clinical:visit_record", args=[visit.pk]),
            "visit_item_add": reverse("clinical:visit_item_add", args=[visit.pk]),
            "visit_item_remove": reverse("clinical:visit_item_remove", args=[visit.pk, item.pk]),
            "visit_complete": reverse("clinical:visit_complete", args=[visit.pk]),
        }

    @pytest.mark.parametrize("role", ["other_doctor", "front_desk", "billing_clerk", "outsider"])
    @pytest.mark.parametrize(
        "page", ["visit_record", "visit_item_add", "visit_item_remove", "visit_complete"]
    )
    def test_it_refuses_every_write_to_anyone_but_the_visits_doctor(
        self, request, login, urls, visit, role, page
    ):
        user = request.getfixturevalue(role)
        response = login(user).post(urls[page], {"kind": "surgery", "proc-description": "X"})
        assert response.status_code == 403
        visit.refresh_from_db()
        assert visit.completed_at is None
        assert visit.visit_items.count() == 1

    @pytest.mark.parametrize("role", ["doctor", "admin_user"])
    def test_it_lets_the_visits_doctor_and_administrators_complete_it(
        self, request, login, urls, visit, role
    ):
        response = login(request.getfixturevalue(role)).post(urls["visit_complete"])
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.completed_at is not None

    @pytest.mark.parametrize(
        "role, expected",
        [
            ("doctor", 302),
            ("admin_user", 302),
            ("other_doctor", 403),
            ("front_desk", 403),
            ("billing_clerk", 403),
            ("outsider", 403),
        ],
    )
    def test_it_lets_only_the_visits_doctor_and_administrators_start_it(
        self, request, login, doctor, patient, role, expected
    ):
        attendance = checked_in_visit(doctor=doctor.doctor, patient=patient)
        url = reverse("clinical:visit_start", args=[attendance.appointment.pk])
        response = login(request.getfixturevalue(role)).post(url)
        assert response.status_code == expected
        attendance.refresh_from_db()
        assert (attendance.started_at is not None) == (expected == 302)

    def test_it_refuses_get_on_state_changes(self, login, doctor, urls):
        assert login(doctor).get(urls["visit_complete"]).status_code == 405

    def test_it_shows_another_doctors_visit_read_only(self, login, other_doctor, visit, urls):
        response = login(other_doctor).get(urls["visit_record"])
        assert response.status_code == 200
        assert "Complete visit" not in response.text
        assert 'id="visit-notes"' not in response.text


@pytest.mark.parametrize(
    "role, expected", [("doctor", 302), ("admin_user", 302), ("billing_clerk", 403)]
)
def test_it_lets_doctors_and_admins_add_history_but_not_clerks(
    request, login, patient, role, expected
):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=allergy"
    response = login(request.getfixturevalue(role)).post(
        url, {"description": "Penicillin", "recorded_on": "2024-01-01"}
    )
    assert response.status_code == expected
    assert patient.history.filter(description="Penicillin").exists() == (expected == 302)
