"""factory_boy factories for every model a test needs."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone
from faker import Faker
from faker.exceptions import UniquenessException

from appointments.models import Appointment, AppointmentStatus, Attendance
from billing.models import Invoice, InvoiceLine, LineKind, MedicationCost, ProcedureFee
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours
from patients.models import HistoryKind, MedicalHistory, Patient, Sex

# People's names are distinct within a test (tests/conftest.py clears them before each): a
# test that tells two people apart by name cannot meet two Joneses by chance, whatever seed
# pytest-randomly gives Faker. Faker's shared random is the one pytest-randomly reseeds.
NAMES = Faker()


def distinct(kind: str) -> factory.LazyFunction:
    """A Faker name of `kind` ("first_name", "last_name") nobody else in the test has; a test
    making more people than Faker has such names starts over."""

    def draw() -> str:
        try:
            return getattr(NAMES.unique, kind)()
        except UniquenessException:
            NAMES.unique.clear()
            return getattr(NAMES.unique, kind)()

    return factory.LazyFunction(draw)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = distinct("first_name")
    last_name = distinct("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@hospital.test")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        # Straight into the join table: a test's cast of users is not a person giving someone
        # a role, so it writes no audit row (groups.add would, core.access_audit).
        if create and extracted:
            User.groups.through.objects.create(user=self, group=Group.objects.get(name=extracted))


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("name",)

    name = factory.Iterator(["Cardiology", "Pediatrics", "Orthopedics", "Dermatology"])


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    code = factory.Sequence(lambda n: f"D{n + 5001:04d}")  # clear of D0001… spelled in tests
    first_name = distinct("first_name")
    last_name = distinct("last_name")
    specialty = factory.SubFactory(SpecialtyFactory)
    email = factory.LazyAttribute(lambda d: f"{d.code.lower()}@hospital.test")
    consultation_fee = Decimal("0.00")


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    doctor = factory.SubFactory(DoctorFactory)
    weekday = 0
    start_time = datetime.time(9, 0)
    end_time = datetime.time(17, 0)
    slot_minutes = 30
    valid_from = datetime.date(2020, 1, 1)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    doctor = factory.SubFactory(DoctorFactory)
    start = factory.LazyFunction(timezone.now)
    end = factory.LazyAttribute(lambda t: t.start + datetime.timedelta(hours=4))
    reason = "Conference"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    # Far from every MRN a test spells out (P0000001, P0000101, …), so no sequence number
    # ever lands on one of them whatever the order the tests run in.
    mrn = factory.Sequence(lambda n: f"P{n + 5_000_001:07d}")
    first_name = distinct("first_name")
    last_name = distinct("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=1, maximum_age=95)
    sex = factory.Iterator([Sex.FEMALE, Sex.MALE])
    phone = factory.Sequence(lambda n: f"+1-555-{n % 10000:04d}")


def _aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(DoctorFactory)
    start = factory.Sequence(
        lambda n: _aware(datetime.date(2030, 1, 7) + datetime.timedelta(days=n), 9)
    )
    end = factory.LazyAttribute(lambda a: a.start + datetime.timedelta(minutes=30))
    status = AppointmentStatus.SCHEDULED
    reason = "Check-up"


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    appointment = factory.SubFactory(AppointmentFactory, status=AppointmentStatus.COMPLETED)
    patient = factory.SelfAttribute("appointment.patient")
    checked_in_at = factory.SelfAttribute("appointment.start")


class MedicationCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationCost

    name = factory.Sequence(lambda n: f"Medication {n}")
    unit_cost = Decimal("10.00")


class ProcedureFeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureFee

    name = factory.Sequence(lambda n: f"Procedure {n}")
    fee = Decimal("100.00")


class MedicalHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicalHistory

    patient = factory.SubFactory(PatientFactory)
    kind = HistoryKind.CONDITION
    description = "Hypertension"
    recorded_on = datetime.date(2024, 6, 1)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    patient = factory.SubFactory(PatientFactory)


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    kind = LineKind.OTHER
    description = "Line"
    unit_price = Decimal("10.00")
    amount = Decimal("10.00")


# --- Appended for the admin tests (tests/hms/test_admin.py): models named by "app.Model" strings
# so this block needs no imports of its own.


class AppointmentStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "appointments.AppointmentStatusChange"

    appointment = factory.SubFactory(AppointmentFactory)
    from_status = ""
    to_status = AppointmentStatus.SCHEDULED
    new_start = factory.SelfAttribute("appointment.start")
    new_end = factory.SelfAttribute("appointment.end")
    note = "Booked"


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.Payment"

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("10.00")
    method = "cash"
    received_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "core.AuditEvent"

    actor_username = "admin"
    action = "update"
    object_type = "patients.patient"
    object_id = factory.Sequence(str)
    object_repr = factory.Sequence(lambda n: f"Patient {n}")
    changes = factory.LazyFunction(lambda: {"phone": {"before": "1", "after": "2"}})
    ip_address = "127.0.0.1"
