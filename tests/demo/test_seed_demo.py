"""`seed_demo` builds a consistent, deterministic demo hospital; `demo_accounts` its logins."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from billing.models import BillingSettings, Invoice, MedicationCost, Payment, ProcedureFee
from core import roles
from demo import invoices
from demo.management.commands import seed_demo
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours
from patients.models import HistoryKind, MedicalHistory, Patient
from reports import selectors
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db

SMALL = {"patients": 300, "doctors": 5, "days": 20, "seed": 7}


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


@pytest.fixture
def seeded(debug):
    return _seed()


def test_it_loads_as_many_patients_and_doctors_as_asked(seeded):
    assert Patient.objects.count() == 300
    assert sorted(Patient.objects.values_list("mrn", flat=True))[::299] == [
        "P0000001",
        "P0000300",
    ]
    assert sorted(Doctor.objects.values_list("code", flat=True)) == [
        "D0001",
        "D0002",
        "D0003",
        "D0004",
        "D0005",
    ]
    assert not Doctor.objects.filter(user__isnull=False).exists()
    assert Specialty.objects.count() >= 10
    assert MedicationCost.objects.count() >= 40
    assert ProcedureFee.objects.count() >= 15
    assert BillingSettings.objects.filter(pk=1).exists()
    assert "patients" in seeded and "300" in seeded


def test_it_gives_patients_plausible_details(seeded):
    patients = list(Patient.objects.all())
    assert all(p.first_name and p.last_name and p.phone and p.address_line1 for p in patients)
    assert {p.sex for p in patients} >= {"female", "male"}
    assert any(not p.first_name.isascii() or not p.last_name.isascii() for p in patients)
    today = timezone.localdate()
    born = [p.date_of_birth for p in patients if p.date_of_birth]
    assert len(born) > 250 and all(datetime.date(1920, 1, 1) < d < today for d in born)
    assert all(p.created_at and p.updated_at for p in patients)


def test_it_records_medical_history_of_every_kind(seeded):
    kinds = set(MedicalHistory.objects.values_list("kind", flat=True))
    assert kinds == set(HistoryKind.values)
    medications = MedicalHistory.objects.filter(kind=HistoryKind.MEDICATION)
    assert medications.exists()
    assert not medications.filter(medication__isnull=True).exists()
    assert medications.filter(attendance__isnull=False).exists()  # prescribed at a visit
    assert medications.filter(ended_on__isnull=False).exists()  # stopped
    surgeries = MedicalHistory.objects.filter(kind=HistoryKind.SURGERY)
    assert surgeries.filter(procedure__isnull=False).exists()
    assert (
        not surgeries.filter(procedure__isnull=False)
        .exclude(procedure__name=F("description"))
        .exists()
    )


def test_it_books_the_past_and_the_next_two_weeks(seeded):
    today = timezone.localdate()
    starts = [timezone.localdate(s) for s in Appointment.objects.values_list("start", flat=True)]
    assert min(starts) >= today - datetime.timedelta(days=20)
    assert max(starts) < today + datetime.timedelta(days=14)
    past = Appointment.objects.filter(start__date__lt=today)
    future = Appointment.objects.filter(start__date__gte=today)
    assert set(past.values_list("status", flat=True)) == {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    }
    assert set(future.exclude(start__date=today).values_list("status", flat=True)) <= {
        AppointmentStatus.SCHEDULED,
        AppointmentStatus.CANCELLED,
    }
    # Today's check-in queue: a few of today's patients have arrived (demo/queue).
    assert set(future.values_list("status", flat=True)) <= {
        AppointmentStatus.SCHEDULED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.CHECKED_IN,
    }
    assert future.filter(status=AppointmentStatus.SCHEDULED).exists()


def test_it_gives_every_completed_visit_an_attendance_and_every_cancellation_a_reason(seeded):
    completed = Appointment.objects.filter(status=AppointmentStatus.COMPLETED)
    visits = Attendance.objects.filter(appointment__status=AppointmentStatus.COMPLETED)
    assert completed.count() == visits.count() > 0
    assert not completed.filter(attendance__isnull=True).exists()
    # The other visits are today's arrivals in the queue: checked in, not yet seen.
    waiting = Attendance.objects.exclude(appointment__status=AppointmentStatus.COMPLETED)
    assert not waiting.exclude(appointment__status=AppointmentStatus.CHECKED_IN).exists()
    assert not waiting.exclude(started_at=None).exists()
    for visit in waiting.select_related("appointment"):
        assert timezone.localdate(visit.appointment.start) == timezone.localdate()
    for visit in visits.select_related("appointment"):
        assert visit.patient_id == visit.appointment.patient_id
        assert visit.concerns and visit.symptoms and visit.diagnosis
        assert visit.checked_in_at <= visit.started_at < visit.completed_at
    cancelled = Appointment.objects.filter(status=AppointmentStatus.CANCELLED)
    assert cancelled.exists()
    assert not cancelled.filter(cancel_reason="").exists()
    assert (
        not Appointment.objects.exclude(status=AppointmentStatus.CANCELLED)
        .exclude(cancel_reason="")
        .exists()
    )


@pytest.mark.parametrize("who", ["doctor_id", "patient_id"])
def test_it_never_double_books_a_doctor_or_a_patient(seeded, who):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM appointments_appointment a
            JOIN appointments_appointment b
              ON a.{who} = b.{who} AND a.id < b.id
             AND a.start < b."end" AND b.start < a."end"
            WHERE a.status IN ('scheduled', 'checked_in', 'completed')
              AND b.status IN ('scheduled', 'checked_in', 'completed')
            """
        )
        assert cursor.fetchone()[0] == 0
        # and the seed is not trivially sparse: patients do have several visits
        cursor.execute(
            "SELECT max(n) FROM (SELECT count(*) n FROM appointments_appointment "
            "GROUP BY patient_id) t"
        )
        assert cursor.fetchone()[0] >= 3


def test_it_books_only_inside_working_hours_and_outside_time_off(seeded):
    hours: dict[tuple[int, int], list[WorkingHours]] = {}
    for h in WorkingHours.objects.all():
        assert h.slot_minutes == 30
        hours.setdefault((h.doctor_id, h.weekday), []).append(h)
    # Monday to Friday for most doctors, Saturday for some, never Sunday.
    assert {weekday for _, weekday in hours} >= {0, 1, 2, 3, 4}
    assert 6 not in {weekday for _, weekday in hours}
    time_off = list(TimeOff.objects.all())
    appointments = list(Appointment.objects.all())
    assert len(appointments) > 500
    for a in appointments:
        start, end = timezone.localtime(a.start), timezone.localtime(a.end)
        assert end - start == datetime.timedelta(minutes=30)
        assert start.minute in (0, 30)
        assert any(
            h.start_time <= start.time()
            and end.time() <= h.end_time
            and h.valid_from <= start.date()
            for h in hours.get((a.doctor_id, start.weekday()), [])
        ), a
        assert not any(
            t.doctor_id == a.doctor_id and t.start < a.end and a.start < t.end for t in time_off
        ), a


def _digest(first_mrn: int = 1, first_code: int = 1) -> str:
    """Everything a user would see of one seeded hospital, without database ids: its patients
    (MRNs from `first_mrn`) and doctors (codes from `first_code`), named by their place in it,
    with their appointments, history, invoices (without their numbers, which continue those
    of an earlier hospital) and payments."""
    h = hashlib.sha256()
    patients = Patient.objects.filter(mrn__gte=f"P{first_mrn:07d}").exclude(
        mrn__gte=f"P{first_mrn + SMALL['patients']:07d}"
    )
    place = {p.pk: int(p.mrn[1:]) - first_mrn for p in patients}
    codes = [f"D{first_code + n:04d}" for n in range(SMALL["doctors"])]
    doctors = {d.pk: int(d.code[1:]) - first_code for d in Doctor.objects.filter(code__in=codes)}
    for row in patients.order_by("mrn").values_list(
        "first_name", "last_name", "date_of_birth", "sex", "phone", "email",
        "address_line1", "city", "emergency_contact_name", "created_at",
    ):  # fmt: skip
        h.update(repr(row).encode())
    for row in (
        Doctor.objects.filter(pk__in=doctors)
        .order_by("code")
        .values_list("first_name", "last_name", "specialty__name", "consultation_fee")
    ):
        h.update(repr(row).encode())
    rows = Appointment.objects.filter(patient__in=patients).values_list(
        "doctor", "start", "patient", "status", "reason", "cancel_reason",
        "attendance__diagnosis", "attendance__completed_at", "created_at",
    )  # fmt: skip
    for row in sorted((doctors[r[0]], r[1], place[r[2]], *r[3:]) for r in rows):
        h.update(repr(row).encode())
    rows = MedicalHistory.objects.filter(patient__in=patients).values_list(
        "patient", "kind", "description", "medication__name", "recorded_on", "quantity",
        "is_billable",
    )  # fmt: skip
    for row in sorted((place[r[0]], *r[1:]) for r in rows):
        h.update(repr(row).encode())
    invoices = Invoice.objects.filter(patient__in=patients)
    rows = invoices.values_list(
        "patient", "status", "issued_at", "total", "void_reason", "lines__description",
        "lines__amount", "lines__is_active",
    )  # fmt: skip
    for row in sorted((place[r[0]], *r[1:]) for r in rows):
        h.update(repr(row).encode())
    rows = Payment.objects.filter(invoice__in=invoices).values_list(
        "invoice__patient", "amount", "method", "received_at"
    )
    for row in sorted((place[r[0]], *r[1:]) for r in rows):
        h.update(repr(row).encode())
    return h.hexdigest()


def test_it_builds_the_same_hospital_from_the_same_seed(debug):
    # Issued invoices are never deleted: the second hospital is seeded beside the first.
    _seed()
    first = _digest()
    assert Invoice.objects.exists()
    _seed(force=True)
    assert _digest(first_mrn=301, first_code=6) == first
    _seed(force=True, seed=8)
    assert _digest(first_mrn=601, first_code=11) != first


# Parallel loaders and big seeds commit on their own, so the tests commit too.
@pytest.mark.django_db(transaction=True)
def test_it_builds_the_same_hospital_committing_as_it_goes(debug, monkeypatch):
    """The way of a big seed: each block of patients, period of appointments and chunk of
    invoices (here 40 patients) committed, the summaries deferred, then rebuilt: the same
    hospital, and the same figures the triggers kept for the first one."""
    _seed()
    first = _digest()
    bills, health = _summaries(1), _summaries(1, "reports_patienthealthsummary")
    revenue = list(selectors.revenue_report().rows)
    monkeypatch.setattr(seed_demo, "COMMIT_EACH_FROM", 0)
    monkeypatch.setattr(invoices, "PATIENT_CHUNK", 40)
    assert "summaries rebuilt" in _seed(force=True)
    assert _digest(first_mrn=301, first_code=6) == first
    assert _summaries(301) == bills and bills
    assert _summaries(301, "reports_patienthealthsummary") == health and health
    # Both hospitals' invoices and payments: every month's money twice the first's.
    doubled = [(month, *(2 * v for v in figures)) for month, *figures in revenue]
    assert list(selectors.revenue_report().rows) == doubled


def _summaries(first_mrn: int, table: str = "billing_patientbill") -> list[tuple]:
    """A summary table's rows of one hospital's patients, by their place in it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT substr(p.mrn, 2)::int - %s, s.* FROM {table} s "
            "JOIN patients_patient p ON p.id = s.patient_id "
            "WHERE substr(p.mrn, 2)::int BETWEEN %s AND %s",
            [first_mrn, first_mrn, first_mrn + SMALL["patients"] - 1],
        )
        return sorted((row[0], *row[2:]) for row in cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_it_builds_the_same_hospital_with_parallel_loaders(debug):
    _seed(jobs=1)
    first = _digest()
    output = _seed(jobs=2, force=True)  # 34 days: three 14-day periods shared by the two loaders
    assert "2 loader(s)" in output
    assert _digest(first_mrn=301, first_code=6) == first


def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        _seed()
    assert not Patient.objects.exists()
    _seed(patients=20, doctors=2, days=3, force=True)
    assert Patient.objects.count() == 20


def test_it_refuses_a_database_with_patients_unless_forced_and_then_adds(debug):
    PatientFactory(mrn="P0000041")
    DoctorFactory(code="D0009")
    with pytest.raises(CommandError, match="already has 1 patients"):
        _seed()
    assert Patient.objects.count() == 1
    _seed(force=True)
    assert Patient.objects.count() == 301
    mrns = sorted(Patient.objects.values_list("mrn", flat=True))
    assert mrns[0] == "P0000041" and mrns[1] == "P0000042" and mrns[-1] == "P0000341"
    assert Doctor.objects.filter(code__in=["D0010", "D0014"]).count() == 2
    # the existing patient gets no demo appointments
    assert not Appointment.objects.filter(patient__mrn="P0000041").exists()


def test_it_rejects_negative_sizes(debug):
    with pytest.raises(CommandError, match="--patients"):
        _seed(patients=-1)


# --- demo_accounts ----------------------------------------------------------------------------

ACCOUNTS = {
    "frontdesk": ("frontdesk-demo-2026", roles.FRONT_DESK),
    "doctor": ("doctor-demo-2026", roles.DOCTOR),
    "billing": ("billing-demo-2026", roles.BILLING_CLERK),
    "admin": ("admin-demo-2026", roles.ADMINISTRATOR),
}


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Demo passwords are hashed and checked many times here; the production hasher is slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _accounts() -> str:
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    return out.getvalue()


def test_it_creates_one_demo_login_per_role_and_prints_them(debug):
    printed = _accounts()
    for username, (password, role) in ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert roles.role_of(user) == role
        assert username in printed and password in printed and role in printed
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()


def test_it_makes_the_doctor_login_doctor_d0001(debug):
    _accounts()
    doctor = Doctor.objects.get(code="D0001")
    assert doctor.user.username == "doctor"


def test_it_links_the_doctor_login_to_an_existing_d0001(debug):
    existing = DoctorFactory(code="D0001", first_name="Emily", last_name="Robinson")
    _accounts()
    existing.refresh_from_db()
    assert existing.user.username == "doctor"
    assert existing.user.get_full_name() == "Emily Robinson"
    assert Doctor.objects.count() == 1


def test_it_is_idempotent_and_resets_a_changed_password(debug):
    _accounts()
    user = User.objects.get(username="frontdesk")
    user.set_password("something-else-entirely")
    user.save()
    _accounts()
    assert User.objects.filter(username__in=ACCOUNTS).count() == 4
    assert Doctor.objects.filter(user__username="doctor").count() == 1
    assert User.objects.get(username="frontdesk").check_password("frontdesk-demo-2026")
    assert User.objects.get(username="frontdesk").groups.count() == 1


def test_it_refuses_demo_logins_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        _accounts()
    assert not User.objects.filter(username__in=ACCOUNTS).exists()
    call_command("demo_accounts", force=True, stdout=StringIO())
    assert User.objects.filter(username__in=ACCOUNTS).count() == 4


def test_it_gives_the_seeded_d0001_to_the_doctor_login(seeded):
    _accounts()
    doctor = Doctor.objects.get(code="D0001")
    assert doctor.user.username == "doctor"
    assert doctor.appointments.exists()
