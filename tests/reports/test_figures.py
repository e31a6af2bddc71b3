"""Each report's figures against values worked out here, in Python, from a small data set."""

import datetime
import statistics
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    MedicationCost,
    Payment,
    PaymentMethod,
    ProcedureFee,
)
from billing.services import invoice_draft_for_patient
from patients.models import HistoryKind, Patient, Sex
from reports import selectors
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    WorkingHoursFactory,
)
from tests.reports.helpers import at, booked, local_text

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))
S = AppointmentStatus


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _one(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@pytest.fixture
def clinic():
    """Two doctors and a month of appointments in every status, one in April."""
    ann = DoctorFactory(code="D0001", first_name="Ann", last_name="Adams")
    bob = DoctorFactory(code="D0002", first_name="Bob", last_name="Brown")
    p1, p2, p3, p4 = (PatientFactory(mrn=f"P{i}") for i in range(1, 5))
    mon, tue, sun = datetime.date(2024, 3, 4), datetime.date(2024, 3, 5), datetime.date(2024, 3, 10)
    appts = [
        AppointmentFactory(
            doctor=ann, patient=p1, start=at(mon, 9), end=at(mon, 10), status=S.COMPLETED
        ),
        AppointmentFactory(
            doctor=ann, patient=p2, start=at(mon, 10), end=at(mon, 10, 30), status=S.CANCELLED
        ),
        AppointmentFactory(
            doctor=ann, patient=p1, start=at(tue, 9), end=at(tue, 9, 30), status=S.NO_SHOW
        ),
        AppointmentFactory(
            doctor=ann, patient=p3, start=at(sun, 14), end=at(sun, 14, 45), status=S.SCHEDULED
        ),
        AppointmentFactory(
            doctor=bob, patient=p2, start=at(mon, 9), end=at(mon, 9, 30), status=S.COMPLETED
        ),
        AppointmentFactory(
            doctor=bob, patient=p4, start=at(tue, 11), end=at(tue, 11, 30), status=S.CHECKED_IN
        ),
        AppointmentFactory(
            doctor=bob,
            patient=p4,
            start=at(datetime.date(2024, 4, 1), 11),
            end=at(datetime.date(2024, 4, 1), 11, 30),
            status=S.COMPLETED,
        ),
    ]
    return {"ann": ann, "bob": bob, "appointments": appts}


def _in_period(appointment, date_from, date_to):
    day = timezone.localtime(appointment.start).date()
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


# --- appointments -------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "ann", "bob"])
@pytest.mark.parametrize("period", [(None, None), MARCH, (datetime.date(2024, 3, 5), None)])
def test_it_lists_the_appointments_of_a_period_and_doctor(clinic, who, period):
    doctor = clinic[who] if who else None
    expected = [
        (
            str(a.pk),
            a.patient.mrn,
            f"{a.patient.first_name} {a.patient.last_name}",
            a.doctor.code,
            local_text(a.start),
            local_text(a.end),
            a.status,
            f"{a.doctor.first_name} {a.doctor.last_name}",
        )
        for a in sorted(clinic["appointments"], key=lambda a: (a.start, a.doctor.code))
        if (doctor is None or a.doctor == doctor) and _in_period(a, *period)
    ]
    result = selectors.appointments_report(date_from=period[0], date_to=period[1], doctor=doctor)
    assert list(result.rows) == expected
    assert expected  # every combination has something to compare


def test_it_shows_the_legacy_appointment_id_of_imported_appointments(clinic):
    Appointment.objects.filter(pk=clinic["appointments"][0].pk).update(legacy_id="A00001")
    ids = [row[0] for row in selectors.appointments_report(doctor=clinic["ann"]).rows]
    assert ids[0] == "A00001"
    assert ids[1] == str(clinic["appointments"][1].pk)


def test_it_counts_a_periods_appointments_by_status(clinic):
    counts = selectors.appointment_status_counts(
        date_from=MARCH[0], date_to=MARCH[1], doctor=clinic["ann"]
    )
    assert [(value, n) for value, _, n in counts] == [
        ("scheduled", 1),
        ("checked_in", 0),
        ("completed", 1),
        ("cancelled", 1),
        ("no_show", 1),
    ]


# --- doctor-workload ----------------------------------------------------------------------


def _working_minutes(blocks, date_from, date_to):
    minutes, day = 0, date_from
    while day <= date_to:
        for wh in blocks:
            valid = wh.valid_from <= day and (wh.valid_until is None or wh.valid_until >= day)
            if wh.weekday == day.weekday() and valid:
                start = datetime.datetime.combine(day, wh.start_time)
                minutes += (datetime.datetime.combine(day, wh.end_time) - start).seconds / 60
        day += datetime.timedelta(days=1)
    return Decimal(minutes)


def test_it_sums_each_doctors_workload_and_utilization(clinic):
    ann, bob = clinic["ann"], clinic["bob"]
    blocks = [
        WorkingHoursFactory(
            doctor=ann, weekday=0, start_time=datetime.time(9), end_time=datetime.time(17)
        ),
        WorkingHoursFactory(
            doctor=ann, weekday=1, start_time=datetime.time(9), end_time=datetime.time(13)
        ),
        # Valid for the first Wednesday of March only.
        WorkingHoursFactory(
            doctor=ann,
            weekday=2,
            start_time=datetime.time(14),
            end_time=datetime.time(16),
            valid_until=datetime.date(2024, 3, 10),
        ),
    ]
    DoctorFactory(code="D0009", is_active=False)  # no appointments: not listed

    rows = {
        r[0]: r for r in selectors.doctor_workload_report(date_from=MARCH[0], date_to=MARCH[1]).rows
    }

    assert set(rows) == {"D0001", "D0002"}
    for doctor in (ann, bob):
        mine = [a for a in clinic["appointments"] if a.doctor == doctor and _in_period(a, *MARCH)]
        by = {s: sum(1 for a in mine if a.status == s) for s in S.values}
        booked_minutes = sum(
            (a.end - a.start).seconds // 60 for a in mine if a.status in ACTIVE_STATUSES
        )
        working = _working_minutes([b for b in blocks if b.doctor == doctor], *MARCH)
        row = rows[doctor.code]
        assert row[:9] == (
            doctor.code,
            f"{doctor.first_name} {doctor.last_name}",
            doctor.specialty.name,
            len(mine),
            by["completed"],
            by["cancelled"],
            by["no_show"],
            by["scheduled"],
            by["checked_in"],
        )
        assert row[9] == (Decimal(booked_minutes) / 60).quantize(Decimal("0.01"))
        assert row[10] == (working / 60).quantize(Decimal("0.01"))
        expected_util = _pct(booked_minutes, working) if working else None
        assert row[11] == expected_util
    assert rows["D0001"][10] == Decimal("50.00")  # 4 Mondays × 8 h + 4 Tuesdays × 4 h + 2 h
    assert rows["D0001"][11] == Decimal("3.5")  # (60 + 45) minutes of 50 hours
    assert rows["D0002"][11] is None  # no working hours: no utilization


def test_it_limits_the_workload_to_one_doctor_and_a_period(clinic):
    rows = list(
        selectors.doctor_workload_report(
            date_from=datetime.date(2024, 4, 1), date_to=None, doctor=clinic["bob"]
        ).rows
    )
    assert [(r[0], r[3], r[4]) for r in rows] == [("D0002", 1, 1)]


# --- patient-health -----------------------------------------------------------------------


def test_it_counts_distinct_medications_and_surgeries_per_patient():
    lisinopril = MedicationCostFactory(name="Lisinopril")
    p1, p2, p3 = PatientFactory(mrn="P1"), PatientFactory(mrn="P2"), PatientFactory(mrn="P3")
    PatientFactory(mrn="P4")  # no history at all: not listed
    for description in ("Metformin", "metformin ", "Aspirin"):
        MedicalHistoryFactory(patient=p1, kind=HistoryKind.MEDICATION, description=description)
    for description in ("Appendectomy", " APPENDECTOMY"):
        MedicalHistoryFactory(patient=p1, kind=HistoryKind.SURGERY, description=description)
    MedicalHistoryFactory(patient=p1, kind=HistoryKind.CONDITION, description="Asthma")
    # Linked to the price list, the medication counts under its price-list name.
    MedicalHistoryFactory(
        patient=p2,
        kind=HistoryKind.MEDICATION,
        description="Lisinopril 10mg",
        medication=lisinopril,
    )
    MedicalHistoryFactory(patient=p2, kind=HistoryKind.MEDICATION, description="LISINOPRIL")
    MedicalHistoryFactory(
        patient=p2,
        kind=HistoryKind.SURGERY,
        description="Knee replacement",
        recorded_on=datetime.date(2020, 1, 1),
    )
    MedicalHistoryFactory(patient=p3, kind=HistoryKind.CONDITION, description="Migraine")
    # Imported "nothing": no surgery, no medication.
    MedicalHistoryFactory(patient=p3, kind=HistoryKind.SURGERY, description="None")
    MedicalHistoryFactory(patient=p3, kind=HistoryKind.MEDICATION, description=" - ")

    rows = list(selectors.patient_health_report().rows)

    name = {p.mrn: f"{p.first_name} {p.last_name}" for p in (p1, p2, p3)}
    assert [r[:4] for r in rows] == [
        ("P1", name["P1"], 2, 1),
        ("P2", name["P2"], 1, 1),
        ("P3", name["P3"], 0, 0),
    ]
    assert rows[0][4:] == ("aspirin; metformin", "appendectomy")

    recent = list(selectors.patient_health_report(date_from=datetime.date(2021, 1, 1)).rows)
    assert [r[:4] for r in recent] == [
        ("P1", name["P1"], 2, 1),
        ("P2", name["P2"], 1, 0),
        ("P3", name["P3"], 0, 0),
    ]
    assert list(selectors.patient_health_report(date_to=datetime.date(2020, 12, 31)).rows) == [
        ("P2", name["P2"], 0, 1, "", "knee replacement")
    ]


# --- patient-bills ------------------------------------------------------------------------


NOTHING = ("", "none", "n/a", "-")


def _expected_bill(patient, config):
    """The billing rule of DESIGN.md, one patient at a time, straight from the ORM."""
    billed = set(
        InvoiceLine.objects.filter(is_active=True, source_key__isnull=False).values_list(
            "source_key", flat=True
        )
    )
    prices = {m.name.lower(): m.unit_cost for m in MedicationCost.objects.all()}
    fees = {f.name.lower(): f.fee for f in ProcedureFee.objects.all()}
    meds = surgery = consult = Decimal("0.00")
    for entry in patient.history.filter(is_billable=True):
        name = entry.description.strip().lower()
        if f"history:{entry.pk}" in billed or name in NOTHING:
            continue
        if entry.kind == HistoryKind.MEDICATION:
            if entry.medication_id:
                unit = entry.medication.unit_cost
            else:
                unit = prices.get(name, Decimal("0.00"))
            meds += unit * entry.quantity
        elif entry.kind == HistoryKind.SURGERY:
            if entry.procedure_id:
                surgery += entry.procedure.fee
            else:
                surgery += fees.get(name, config.default_surgery_fee)
    for visit in patient.attendances.select_related("appointment__doctor"):
        seen = visit.appointment.status in (S.CHECKED_IN, S.COMPLETED)
        if seen and f"attendance:{visit.pk}" not in billed:
            consult += visit.appointment.doctor.consultation_fee
    total = meds + surgery + consult
    return meds, surgery, consult, total if total else config.minimum_charge


@pytest.fixture
def bills():
    """Four patients whose unbilled items exercise every branch of the billing rule."""
    config = BillingSettings.load()
    config.default_surgery_fee = Decimal("300.00")
    config.minimum_charge = Decimal("35.00")
    config.tax_rate = Decimal("0.0750")
    config.save()
    MedicationCostFactory(name="Metformin", unit_cost=Decimal("12.50"))
    lisinopril = MedicationCostFactory(name="Lisinopril", unit_cost=Decimal("9.75"))
    ProcedureFeeFactory(name="Appendectomy", fee=Decimal("800.00"))
    knee = ProcedureFeeFactory(name="Knee arthroscopy", fee=Decimal("650.00"))
    ann = DoctorFactory(consultation_fee=Decimal("40.00"))
    bob = DoctorFactory(consultation_fee=Decimal("25.50"))
    p1, p2, p3, p4 = (PatientFactory(mrn=f"P{i}") for i in range(1, 5))

    def entry(patient, kind, description, **kwargs):
        return MedicalHistoryFactory(patient=patient, kind=kind, description=description, **kwargs)

    entry(p1, HistoryKind.MEDICATION, "metformin ")  # priced by name, case and blanks aside
    entry(p1, HistoryKind.MEDICATION, "Metformin", quantity=3)  # 3 units
    entry(p1, HistoryKind.MEDICATION, "Unknown drug")  # not on the list: 0.00, flagged
    entry(p1, HistoryKind.MEDICATION, "Lisinopril tabs", medication=lisinopril)  # by the FK
    entry(p1, HistoryKind.MEDICATION, "Metformin", is_billable=False)
    entry(p1, HistoryKind.MEDICATION, " N/A ")  # imported "nothing": no item, not unpriced
    entry(p1, HistoryKind.SURGERY, "APPENDECTOMY")
    entry(p1, HistoryKind.SURGERY, "Knee replacement")  # no fee: the default surgery fee
    entry(p1, HistoryKind.SURGERY, "Arthroscopy, left knee", procedure=knee)  # by the FK
    entry(p1, HistoryKind.SURGERY, "None")
    entry(p1, HistoryKind.CONDITION, "Diabetes")
    billed = entry(p1, HistoryKind.MEDICATION, "Metformin")
    voided = entry(p1, HistoryKind.MEDICATION, "Metformin")
    InvoiceLineFactory(source_key=f"history:{billed.pk}", kind=LineKind.MEDICATION)
    InvoiceLineFactory(source_key=f"history:{voided.pk}", kind=LineKind.MEDICATION, is_active=False)
    mon = datetime.date(2024, 3, 4)
    AttendanceFactory(
        appointment__doctor=ann, appointment__patient=p1, appointment__start=at(mon, 9)
    )
    entry(p2, HistoryKind.CONDITION, "Asthma")
    visit = AttendanceFactory(
        appointment__doctor=bob, appointment__patient=p2, appointment__start=at(mon, 10)
    )
    InvoiceLineFactory(source_key=f"attendance:{visit.pk}", kind=LineKind.CONSULTATION)
    AttendanceFactory(
        appointment__doctor=bob, appointment__patient=p3, appointment__start=at(mon, 11)
    )
    # Checked in, then left before being seen: no consultation.
    AttendanceFactory(
        appointment__doctor=ann,
        appointment__patient=p3,
        appointment__start=at(mon, 12),
        appointment__status=S.CANCELLED,
    )
    return config, [p1, p2, p3, p4]


def test_it_prices_every_patients_next_invoice_by_the_billing_rule(bills):
    config, _ = bills

    rows = {r[0]: r for r in selectors.patient_bills_report().rows}

    patients = Patient.objects.all()
    assert set(rows) == {p.mrn for p in patients}  # every patient, with or without items
    for patient in patients:
        row = rows[patient.mrn]
        assert row[2:6] == _expected_bill(patient, config), patient.mrn
        assert all(v.as_tuple().exponent == -2 for v in row[2:6])
        tax = (row[5] * config.tax_rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert row[7:] == (tax, row[5] + tax)
    # The same figures, worked out by hand.
    assert rows["P1"][2:9] == (
        Decimal("72.25"),  # 12.50 + 3 × 12.50 + 0.00 + 9.75 + 12.50 (the voided line's)
        Decimal("1750.00"),  # 800.00 + the default 300.00 + 650.00
        Decimal("40.00"),
        Decimal("1862.25"),
        1,
        Decimal("139.67"),  # 7.5 % of 1862.25 = 139.66875, rounded half-up
        Decimal("2001.92"),
    )
    assert rows["P2"][5] == Decimal("35.00")  # its visit is billed: the minimum charge
    assert rows["P3"][5] == Decimal("25.50")
    assert rows["P4"][5] == Decimal("35.00")

    totals = selectors.patient_bill_totals()
    assert totals.patients == len(rows) == 7  # the invoice lines' factories add three
    assert totals.total == sum(r[5] for r in rows.values())
    assert totals.minimum_charges == sum(1 for r in rows.values() if not sum(r[2:5]))
    assert totals.unpriced_medications == 1


def test_it_agrees_with_the_draft_invoices_billing_makes(bills, billing_clerk):
    _, patients = bills
    rows = {r[0]: r for r in selectors.patient_bills_report().rows}
    for patient in patients:
        invoice = invoice_draft_for_patient(patient=patient, by=billing_clerk)
        assert (invoice.subtotal, invoice.tax, invoice.total) == (
            rows[patient.mrn][5],
            rows[patient.mrn][7],
            rows[patient.mrn][8],
        ), patient.mrn


# --- demographics -------------------------------------------------------------------------


def _age(dob: datetime.date, today: datetime.date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def test_it_counts_active_patients_by_age_band_and_sex():
    today = datetime.date(2024, 6, 1)
    people = [
        (Sex.FEMALE, datetime.date(1994, 6, 1)),  # 30 today
        (Sex.FEMALE, datetime.date(1994, 6, 2)),  # 29 until tomorrow
        (Sex.MALE, datetime.date(1993, 1, 1)),
        (Sex.MALE, datetime.date(1930, 1, 1)),  # 94: 90+
        (Sex.OTHER, datetime.date(2020, 1, 1)),
        (Sex.UNKNOWN, None),
        (Sex.FEMALE, None),
    ]
    for sex, dob in people:
        PatientFactory(sex=sex, date_of_birth=dob)
    PatientFactory(sex=Sex.MALE, date_of_birth=datetime.date(1994, 1, 1), is_active=False)

    rows = list(selectors.demographics_report(today=today).rows)

    def band(dob):
        if dob is None:
            return "unknown"
        age = _age(dob, today)
        return "90+" if age >= 90 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"

    assert [r[0] for r in rows] == [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+", "unknown"]
    for row in rows:
        here = [sex for sex, dob in people if band(dob) == row[0]]
        assert row[1:] == (
            here.count(Sex.FEMALE),
            here.count(Sex.MALE),
            here.count(Sex.OTHER),
            here.count(Sex.UNKNOWN),
            len(here),
        )
    assert dict((r[0], r[5]) for r in rows)["30-34"] == 2


# --- appointment-patterns -----------------------------------------------------------------


def test_it_groups_bookings_by_local_weekday_and_hour_with_rates_and_lead_time(settings):
    settings.TIME_ZONE = "America/New_York"
    tz = zoneinfo.ZoneInfo("America/New_York")
    ann, bob = DoctorFactory(code="D0001"), DoctorFactory(code="D0002")
    mon, tue = datetime.date(2024, 3, 4), datetime.date(2024, 3, 5)
    plan = [  # doctor, day, local hour, status, booked days ahead (None: imported)
        (ann, mon, 9, S.COMPLETED, 2),
        (ann, mon, 10, S.NO_SHOW, 3),
        (ann, tue, 9, S.CANCELLED, 7),
        (bob, mon, 9, S.COMPLETED, None),
        (bob, tue, 20, S.COMPLETED, 0.5),  # 20:00 in New York is 01:00 UTC on Wednesday
        (bob, tue, 21, S.NO_SHOW, 10),
    ]
    appts = []
    for doctor, day, hour, status, ahead in plan:
        start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)
        a = AppointmentFactory(
            doctor=doctor, start=start, end=start + datetime.timedelta(minutes=30), status=status
        )
        if ahead is None:
            Appointment.objects.filter(pk=a.pk).update(legacy_id=f"A{a.pk}")
        else:
            booked(a, ahead)
        appts.append((a, ahead))

    rows = list(selectors.appointment_patterns_report().rows)

    def expect(group):
        n = len(group)
        leads = [ahead for _, ahead in group if ahead is not None]
        statuses = [a.status for a, _ in group]
        return (
            n,
            statuses.count(S.COMPLETED),
            statuses.count(S.CANCELLED),
            statuses.count(S.NO_SHOW),
            _pct(statuses.count(S.CANCELLED), n),
            _pct(statuses.count(S.NO_SHOW), n),
            _one(statuses and statistics.median(leads)) if leads else None,
            _one(statistics.mean(leads)) if leads else None,
        )

    got = {(r[0], r[1], r[3], r[5]): r for r in rows}
    assert got[("all", None, None, None)][6:] == expect(appts)
    for doctor in (ann, bob):
        group = [x for x in appts if x[0].doctor == doctor]
        assert got[("doctor", doctor.code, None, None)][6:] == expect(group)
    local = {a.pk: a.start.astimezone(tz) for a, _ in appts}
    for weekday in {local[a.pk].weekday() for a, _ in appts}:
        group = [x for x in appts if local[x[0].pk].weekday() == weekday]
        row = got[("weekday", None, weekday, None)]
        assert row[4] == ("Monday", "Tuesday")[weekday]
        assert row[6:] == expect(group)
    cells = {(r[3], r[5]): r[6] for r in rows if r[0] == "weekday_hour"}
    assert cells == {(0, 9): 2, (0, 10): 1, (1, 9): 1, (1, 20): 1, (1, 21): 1}
    assert got[("doctor", "D0002", None, None)][12] == Decimal("5.3")  # median of 0.5 and 10


def test_it_filters_patterns_by_doctor_and_period():
    ann, bob = DoctorFactory(), DoctorFactory()
    mon = datetime.date(2024, 3, 4)
    AppointmentFactory(doctor=ann, start=at(mon, 9), end=at(mon, 9, 30))
    AppointmentFactory(doctor=bob, start=at(mon, 9), end=at(mon, 9, 30))
    AppointmentFactory(
        doctor=ann,
        start=at(mon + datetime.timedelta(days=30), 9),
        end=at(mon + datetime.timedelta(days=30), 9, 30),
    )
    rows = list(selectors.appointment_patterns_report(date_to=MARCH[1], doctor=ann).rows)
    overall = rows[0]
    assert overall[0] == "all"
    assert overall[6] == 1
    assert [r[1] for r in rows if r[0] == "doctor"] == [ann.code]


def test_it_reports_no_patterns_without_bookings():
    rows = list(selectors.appointment_patterns_report().rows)
    assert rows == [("all", None, None, None, None, None, 0, 0, 0, 0, None, None, None, None)]


# --- revenue ------------------------------------------------------------------------------


def _issued(number, issued_at, subtotal, tax=Decimal("0.00"), status=InvoiceStatus.ISSUED, **kw):
    return InvoiceFactory(
        number=number,
        status=status,
        issued_at=issued_at,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        **kw,
    )


def _pay(invoice, amount, day):
    Payment.objects.create(
        invoice=invoice, amount=Decimal(amount), method=PaymentMethod.CASH, received_at=at(day, 12)
    )


@pytest.fixture
def ledger():
    jan = _issued("INV-2024-000001", at(datetime.date(2024, 1, 15), 10), Decimal("100.00"))
    InvoiceLineFactory(invoice=jan, kind=LineKind.MEDICATION, amount=Decimal("60.00"))
    InvoiceLineFactory(invoice=jan, kind=LineKind.SURGERY, amount=Decimal("40.00"))
    _pay(jan, "30.00", datetime.date(2024, 1, 20))
    _pay(jan, "50.00", datetime.date(2024, 2, 3))
    mar = _issued(
        "INV-2024-000002",
        at(datetime.date(2024, 3, 2), 10),
        Decimal("200.00"),
        tax=Decimal("20.00"),
        status=InvoiceStatus.PAID,
    )
    InvoiceLineFactory(invoice=mar, kind=LineKind.CONSULTATION, amount=Decimal("200.00"))
    _pay(mar, "220.00", datetime.date(2024, 3, 5))
    draft = InvoiceFactory(subtotal=Decimal("500.00"), total=Decimal("500.00"))
    InvoiceLineFactory(invoice=draft, kind=LineKind.OTHER, amount=Decimal("500.00"))
    void = _issued(
        "INV-2024-000003",
        at(datetime.date(2024, 1, 10), 10),
        Decimal("70.00"),
        status=InvoiceStatus.VOID,
        void_reason="Wrong patient",
    )
    InvoiceLineFactory(invoice=void, kind=LineKind.OTHER, amount=Decimal("70.00"), is_active=False)
    return [jan, mar, draft, void]


def _expected_revenue(month: str, date_from=None):
    def in_month(moment):
        local = timezone.localtime(moment)
        return local.strftime("%Y-%m") == month and (date_from is None or local.date() >= date_from)

    invoices = [
        i for i in Invoice.objects.filter(status__in=["issued", "paid"]) if in_month(i.issued_at)
    ]
    paid_now = {i.pk: sum(p.amount for p in i.payments.all()) for i in invoices}
    lines = [line for i in invoices for line in i.lines.filter(is_active=True)]
    return (
        month,
        sum((i.total for i in invoices), Decimal("0.00")),
        sum((p.amount for p in Payment.objects.all() if in_month(p.received_at)), Decimal("0.00")),
        sum((i.total - paid_now[i.pk] for i in invoices), Decimal("0.00")),
        *(sum((x.amount for x in lines if x.kind == k), Decimal("0.00")) for k in LineKind.values),
        sum((i.tax for i in invoices), Decimal("0.00")),
    )


def test_it_reports_invoiced_paid_outstanding_and_line_kinds_per_month(ledger):
    rows = list(selectors.revenue_report().rows)
    assert [r[0] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    for row in rows:
        assert row == _expected_revenue(row[0])
    assert rows[0][1:4] == (Decimal("100.00"), Decimal("30.00"), Decimal("20.00"))


def test_it_limits_revenue_to_a_period(ledger):
    rows = list(selectors.revenue_report(date_from=datetime.date(2024, 2, 1)).rows)
    assert [r[0] for r in rows] == ["2024-02", "2024-03"]
    assert rows[0][1:4] == (Decimal("0.00"), Decimal("50.00"), Decimal("0.00"))
    assert rows[1] == _expected_revenue("2024-03")
    assert list(selectors.revenue_report(date_to=datetime.date(2023, 12, 31)).rows) == []
