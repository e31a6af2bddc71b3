"""Login, logout and each role's home page with real figures."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from billing.models import InvoiceStatus, Payment, PaymentMethod
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    InvoiceFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db


def _today_at(hour: int, minute: int = 0) -> datetime.datetime:
    today = timezone.localdate()
    return datetime.datetime.combine(
        today, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_serves_the_login_page_without_a_login(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"Log in" in response.content


def test_it_logs_in_through_the_form_and_lands_on_home(client, front_desk):
    response = client.post(
        reverse("login"), {"username": "frontdesk", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get("/").status_code == 200


def test_it_refuses_a_wrong_password_with_a_message(client, front_desk):
    response = client.post(reverse("login"), {"username": "frontdesk", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="frontdesk"' in response.content  # what was typed is kept


def test_it_logs_out_with_a_post(login, front_desk):
    client = login(front_desk)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_it_shows_the_front_desk_todays_appointments_by_status(login, front_desk):
    doctor = DoctorFactory()
    AppointmentFactory(doctor=doctor, start=_today_at(0, 0), end=_today_at(0, 30))
    AppointmentFactory(
        doctor=doctor,
        start=_today_at(0, 30),
        end=_today_at(1, 0),
        status=AppointmentStatus.CANCELLED,
    )
    AppointmentFactory(
        doctor=doctor,
        start=_today_at(1, 0),
        end=_today_at(1, 30),
        status=AppointmentStatus.CANCELLED,
    )
    response = login(front_desk).get("/")
    assert response.status_code == 200
    assert "<h1>Front desk</h1>" in response.text
    by_status = {value: n for value, _, n in response.context["by_status"]}
    assert by_status["scheduled"] == 1
    assert by_status["cancelled"] == 2
    assert response.context["total_today"] == 3


def test_it_shows_a_doctor_only_their_own_appointments_today(login, doctor, other_doctor):
    mine = AppointmentFactory(
        doctor=doctor.doctor, start=_today_at(0, 0), end=_today_at(0, 30), reason="Knee pain"
    )
    AppointmentFactory(
        doctor=other_doctor.doctor, start=_today_at(0, 0), end=_today_at(0, 30), reason="Other"
    )
    response = login(doctor).get("/")
    assert response.status_code == 200
    assert "<h1>My day</h1>" in response.text
    assert response.context["appointments"] == [mine]
    assert mine.patient.mrn in response.text
    assert "Knee pain" in response.text


def test_it_shows_billing_drafts_and_unpaid_balance(login, billing_clerk):
    patient = PatientFactory()
    InvoiceFactory(patient=patient, subtotal=Decimal("80.00"), total=Decimal("80.00"))
    issued = InvoiceFactory(
        patient=patient,
        status=InvoiceStatus.ISSUED,
        number="INV-2026-000001",
        subtotal=Decimal("200.00"),
        total=Decimal("200.00"),
    )
    Payment.objects.create(
        invoice=issued,
        amount=Decimal("50.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
    )
    response = login(billing_clerk).get("/")
    assert "<h1>Billing</h1>" in response.text
    figures = response.context["figures"]
    assert figures.draft_count == 1
    assert figures.draft_total == Decimal("80.00")
    assert figures.unpaid_count == 1
    assert figures.unpaid_balance == Decimal("150.00")
    assert "150.00" in response.text


def test_it_shows_the_administrator_hospital_counts(login, admin_user):
    PatientFactory.create_batch(3)
    PatientFactory(is_active=False)
    AppointmentFactory(start=_today_at(0, 0), end=_today_at(0, 30))
    AppointmentFactory(
        start=_today_at(0, 0) - datetime.timedelta(days=8),
        end=_today_at(0, 30) - datetime.timedelta(days=8),
    )
    response = login(admin_user).get("/")
    assert "<h1>Hospital overview</h1>" in response.text
    figures = response.context["figures"]
    assert figures.patients == 5  # 3 + the two of the appointments; the inactive one is not
    assert figures.doctors == 2
    assert figures.appointments_this_week == 1


def test_it_refuses_a_user_without_a_role(login, outsider):
    response = login(outsider).get("/")
    assert response.status_code == 403
    assert "no role" in response.text


@pytest.mark.parametrize(
    "role, visible, hidden",
    [
        ("front_desk", ["Home"], ["Admin"]),
        ("doctor", ["Home"], ["Admin"]),
        ("billing_clerk", ["Home"], ["Admin"]),
        ("admin_user", ["Home", "Admin"], []),
    ],
)
def test_it_shows_each_role_only_its_navigation(request, login, role, visible, hidden):
    response = login(request.getfixturevalue(role)).get("/")
    labels = [item["label"] for item in response.context["nav_items"]]
    for label in visible:
        assert label in labels
    for label in hidden:
        assert label not in labels


@pytest.mark.parametrize("role", ["front_desk", "doctor", "billing_clerk", "admin_user"])
def test_it_runs_a_fixed_number_of_queries_on_home(
    request, login, role, django_assert_max_num_queries
):
    user = request.getfixturevalue(role)
    doctor = getattr(user, "doctor", None) or DoctorFactory()
    for i in range(40):
        start = _today_at(0, 0) + datetime.timedelta(minutes=15 * i)
        AppointmentFactory(doctor=doctor, start=start, end=start + datetime.timedelta(minutes=15))
    client = login(user)
    # 13 at most whatever the day holds: the doctor's home reads today's queue tokens in one
    # query more than before the check-in queue (appointments.queue).
    with django_assert_max_num_queries(13):
        response = client.get("/")
    assert response.status_code == 200


def test_it_serves_bootstrap_and_htmx_from_our_own_static_files(login, front_desk):
    response = login(front_desk).get("/")
    assert "/static/vendor/bootstrap/bootstrap.min.css" in response.text
    assert "/static/vendor/htmx.min.js" in response.text
    assert "cdn" not in response.text.lower()
