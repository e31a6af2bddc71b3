"""The report pages and CSV downloads: contract headers, filters, charts, fixed query counts."""

import csv
import datetime
import io
import itertools
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from billing.models import InvoiceStatus, LineKind, Payment, PaymentMethod
from patients.models import HistoryKind
from reports import selectors
from reports.registry import REPORTS
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MedicalHistoryFactory,
    PatientFactory,
    WorkingHoursFactory,
)
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

# The CSV contract of issue 6: these columns first, in this order; more may follow.
CONTRACT = {
    "appointments": "appointment_id,mrn,patient_name,doctor_code,start,end,status",
    "doctor-workload": (
        "doctor_code,doctor_name,specialty,total,completed,cancelled,no_show,scheduled,checked_in"
    ),
    "patient-health": "mrn,patient_name,distinct_medications,distinct_surgeries",
    "patient-bills": ("mrn,patient_name,medication_total,surgery_total,consultation_total,total"),
    "demographics": "age_band,female,male,other,unknown,total",
    "appointment-patterns": "dimension,doctor_code,doctor_name,weekday,weekday_name,hour,bookings",
    "revenue": "month,invoiced,paid,outstanding",
    "waiting-times": "doctor_code,doctor_name,hour,checked_in,called,average_wait_minutes",
}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("name", list(REPORTS))
def test_it_starts_each_csv_with_the_contract_columns(login, admin_user, name):
    response = login(admin_user).get(reverse("reports:report_csv", args=[name]))
    header = _csv(response)[0]
    contract = CONTRACT[name].split(",")
    assert header[: len(contract)] == contract
    assert header == list(REPORTS[name].columns)


def test_it_downloads_the_same_rows_as_the_page_with_the_same_filters(login, admin_user):
    ann, bob = DoctorFactory(code="D0001"), DoctorFactory(code="D0002")
    for day in (1, 10, 20):
        date = datetime.date(2024, 3, day)
        AppointmentFactory(doctor=ann, start=at(date, 9), end=at(date, 9, 30))
        AppointmentFactory(doctor=bob, start=at(date, 9), end=at(date, 9, 30))
    query = {"from": "2024-03-05", "to": "2024-03-15", "doctor": "D0002"}
    client = login(admin_user)

    page = client.get(reverse("reports:report_detail", args=["appointments"]), query)
    rows = _csv(client.get(reverse("reports:report_csv", args=["appointments"]), query))

    assert len(page.context["rows"]) == 1
    assert rows[1] == [str(v) for v in page.context["rows"][0]]
    assert rows[1][3:5] == ["D0002", "2024-03-10 09:00"]
    csv_link = reverse("reports:report_csv", args=["appointments"])
    assert f"{csv_link}?from=2024-03-05&amp;to=2024-03-15&amp;doctor=D0002" in page.text
    assert "report appointments --from 2024-03-05 --to 2024-03-15 --doctor D0002" in page.text


def test_it_writes_money_with_two_decimals_in_the_csv(login, billing_clerk):
    PatientFactory(mrn="P1")
    rows = _csv(login(billing_clerk).get(reverse("reports:report_csv", args=["patient-bills"])))
    assert rows[1][2:6] == ["0.00", "0.00", "0.00", "50.00"]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "2024-13-01"}, "Enter a valid date."),
        ({"from": "2024-03-10", "to": "2024-03-01"}, "The end date is before the start date."),
        ({"doctor": "NOBODY"}, "No doctor has the code or name “NOBODY”"),
    ],
)
def test_it_explains_a_wrong_filter_instead_of_guessing(login, admin_user, query, message):
    client = login(admin_user)
    page = client.get(reverse("reports:report_detail", args=["doctor-workload"]), query)
    assert page.status_code == 200
    assert message in page.text
    assert "rows" not in page.context
    download = client.get(reverse("reports:report_csv", args=["doctor-workload"]), query)
    assert download.status_code == 400


@pytest.mark.parametrize(
    "name, chart",
    [
        ("appointments", "Appointments by status"),
        ("doctor-workload", "Appointments per doctor"),
        ("demographics", "Patients by age and sex"),
        ("appointment-patterns", "Bookings by weekday and hour"),
        ("revenue", "Revenue per month"),
        ("waiting-times", "Average wait until called, by hour"),
    ],
)
def test_it_draws_a_chart_in_the_page_itself(login, admin_user, name, chart):
    _populate(3)
    response = login(admin_user).get(reverse("reports:report_detail", args=[name]))
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in response.text
    assert f'<title id="{name}-chart-title">{chart}</title>' in response.text
    assert "<script" not in response.text.split("</main>")[0]  # the CSP allows no inline script


def test_it_shows_the_first_rows_and_says_the_csv_has_them_all(login, admin_user, monkeypatch):
    monkeypatch.setitem(REPORTS, "demographics", replace(REPORTS["demographics"], page_rows=2))
    PatientFactory.create_batch(3)
    response = login(admin_user).get(reverse("reports:report_detail", args=["demographics"]))
    assert len(response.context["rows"]) == 2
    assert "The first 2 rows; the CSV download has them all." in response.text


def test_it_pages_a_long_list_with_next_and_first_page_links(login, admin_user):
    mrns = sorted(p.mrn for p in PatientFactory.create_batch(5))
    client = login(admin_user)
    url = reverse("reports:report_detail", args=["patient-bills"])
    first = client.get(url, {"size": 2})
    assert [row[0] for row in first.context["rows"]] == mrns[:2]
    assert "2 rows on this page, up to 2 a page; more on the next" in first.text
    assert first.context["first_page"] is None
    second = client.get(f"{url}?{first.context['next_page']}")
    assert [row[0] for row in second.context["rows"]] == mrns[2:4]
    assert 'rel="next"' in second.text and "First page" in second.text
    last = client.get(f"{url}?{second.context['next_page']}")
    assert [row[0] for row in last.context["rows"]] == mrns[4:]
    assert last.context["next_page"] is None and 'rel="next"' not in last.text
    assert "size=2" in last.context["first_page"]


def test_it_shows_the_first_page_for_a_link_it_cannot_read(login, admin_user):
    mrn = PatientFactory().mrn
    client = login(admin_user)
    url = reverse("reports:report_detail", args=["patient-bills"])
    for token in ("\x01", "x" * 300):
        response = client.get(url, {"after": token})
        assert response.status_code == 200
        assert "That page link is out of date" in response.text
        assert [row[0] for row in response.context["rows"]] == [mrn]


def test_it_says_how_many_rows_a_page_may_show(login, admin_user):
    PatientFactory()
    client = login(admin_user)
    url = reverse("reports:report_detail", args=["patient-bills"])
    for size in ("501", "0", "many"):
        response = client.get(url, {"size": size})
        assert response.status_code == 200
        assert "Show between 1 and 500 rows per page." in response.text
        assert "rows" not in response.context or not response.context.get("rows")
    assert len(client.get(url, {"size": "500"}).context["rows"]) == 1


def test_it_shows_the_last_90_days_unless_asked(login, front_desk):
    today = timezone.localdate()
    recent, old = today - datetime.timedelta(days=89), today - datetime.timedelta(days=90)
    for day in (recent, old):
        AppointmentFactory(start=at(day, 9), end=at(day, 9, 30))
    client = login(front_desk)
    url = reverse("reports:report_detail", args=["appointments"])
    response = client.get(url)
    assert f'value="{recent.isoformat()}"' in response.text
    assert f'value="{today.isoformat()}"' in response.text
    assert [row[4][:10] for row in response.context["rows"]] == [recent.isoformat()]
    wider = client.get(url, {"from": old.isoformat(), "to": today.isoformat()})
    assert len(wider.context["rows"]) == 2


def test_it_shows_statuses_as_words_not_only_colours(login, front_desk):
    day = datetime.date(2024, 3, 4)
    AppointmentFactory(start=at(day, 9), end=at(day, 9, 30), status=AppointmentStatus.NO_SHOW)
    response = login(front_desk).get(
        reverse("reports:report_detail", args=["appointments"]), {"from": day, "to": day}
    )
    assert '<span class="badge text-bg-danger">No-show</span>' in response.text


_invoice_numbers = itertools.count(1)


def _populate(n: int) -> None:
    """n of everything every report reads: doctors, patients, visits, history, invoices."""
    for i in range(n):
        doctor = DoctorFactory(consultation_fee=Decimal("30.00"))
        WorkingHoursFactory(doctor=doctor, weekday=i % 5)
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=7 * i)
        visit = AttendanceFactory(
            appointment__doctor=doctor, appointment__start=at(day, 9), appointment__end=at(day, 10)
        )
        AppointmentFactory(
            doctor=doctor,
            patient=visit.patient,
            start=at(day, 11),
            end=at(day, 11, 30),
            status=AppointmentStatus.CANCELLED,
        )
        for kind in (HistoryKind.MEDICATION, HistoryKind.SURGERY):
            MedicalHistoryFactory(patient=visit.patient, kind=kind, description=f"Item {i}")
        invoice = InvoiceFactory(
            patient=visit.patient,
            number=f"INV-2024-{next(_invoice_numbers):06d}",
            status=InvoiceStatus.ISSUED,
            issued_at=at(day, 12),
            subtotal=Decimal("30.00"),
            total=Decimal("30.00"),
        )
        InvoiceLineFactory(
            invoice=invoice,
            kind=LineKind.CONSULTATION,
            amount=Decimal("30.00"),
            source_key=f"attendance:{visit.pk}",
        )
        Payment.objects.create(
            invoice=invoice,
            amount=Decimal("10.00"),
            method=PaymentMethod.CARD,
            received_at=at(day, 13),
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", list(REPORTS))
def test_it_runs_a_fixed_number_of_queries_whatever_the_data(
    login, admin_user, name, django_assert_max_num_queries
):
    client = login(admin_user)
    # The years _populate fills (a report over time shows the last 90 days unless asked).
    url = reverse("reports:report_detail", args=[name]) + "?from=2023-01-01&to=2025-12-31"
    _populate(2)
    client.get(url)  # first requests create the billing settings row and save the session
    few = _queries(client, url)
    _populate(40)
    many = _queries(client, url)
    assert many == few
    # Administrators' sessions look up their second-factor device too (django-otp).
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) >= 2


def test_it_runs_a_fixed_number_of_queries_for_a_doctor(
    login, doctor, django_assert_max_num_queries
):
    for i in range(40):
        day = datetime.date(2024, 3, 1) + datetime.timedelta(days=i)
        AppointmentFactory(doctor=doctor.doctor, start=at(day, 9), end=at(day, 9, 30))
    client = login(doctor)
    url = reverse("reports:report_detail", args=["appointments"]) + "?from=2024-03-01"
    client.get(url)
    # 8 with the second-factor device (django-otp), and 3 more in tests to save the session
    # (SESSION_SAVE_EVERY_REQUEST, in a savepoint)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 40


def test_it_pages_the_same_figures_as_the_selector(login, admin_user):
    _populate(5)
    response = login(admin_user).get(
        reverse("reports:report_detail", args=["doctor-workload"]),
        {"from": "2023-01-01", "to": "2025-12-31"},
    )
    period = {"date_from": datetime.date(2023, 1, 1), "date_to": datetime.date(2025, 12, 31)}
    assert response.context["rows"] == list(selectors.doctor_workload_report(**period).rows)
