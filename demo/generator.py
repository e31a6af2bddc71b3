"""Demo data: a realistic, deterministic hospital, fast enough for a million patients.

`seed()` is what `manage.py seed_demo` runs. The small tables (specialties, doctors, their
hours and time off, price lists, billing settings) go through the ORM, here. The big ones
(patients, medical history, appointments, attendances) are generated as PostgreSQL COPY text
and streamed with psycopg's `cursor.copy()` (core.bulk), generated in Python on another core
while the server ingests; the invoices, their lines and payments are then written by
INSERT … SELECT over what was loaded (demo.invoices). The cost of a big seed is almost all
inside PostgreSQL: index maintenance (two GiST exclusion constraints on appointments, three
trigram GIN indexes on patients) and the triggers of billing's rules (immutability, payments
within the balance, the money checked at commit). Nothing is dropped or disabled: every
constraint and rule trigger holds while loading.

The size grows with the patients (demo.plan): about five appointments per patient over the
seeded days, from 20 doctors and 60 days at 2,000 patients to ~500 doctors and 3 years at a
million. A small seed is one transaction, every summary trigger firing as rows arrive. A big one
(`commit_each`) is a bulk loader: it commits each block of patients, period of appointments
and chunk of invoices, with the summaries deferred (reports.summaries), then rebuilds them
once from everything committed, exact as the triggers would have left them. Fired as rows
arrive, the summaries re-price every patient a block touches and update the same few rows of
totals again and again in one transaction: on 2026-12-07 the invoices of 10,000 patients
took 229 s of a 259 s seed that way, against 44 s for the whole seed deferred.

Same seed, same numbers, same day → the same hospital, whatever the number of jobs and
transactions (only the appointment and attendance ids depend on how parallel loaders
interleave). Every random choice comes from a `random.Random` seeded with the seed and the
thing it is for: a block of patients, one doctor's diary; the invoices' from a hash of the
seed, the patient and the billing cycle.

The parts: demo.specialties and demo.reference hold the reference texts; demo.plan the
deterministic plan (sizes, calendar, doctors); demo.people the patients and their history;
demo.diaries the appointments and visits; demo.vitals the vital signs taken at them;
demo.loading the COPY loaders, serial or parallel; demo.invoices the billing office's past.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from core import bulk
from demo.diaries import PERIOD_DAYS
from demo.invoices import TABLES as INVOICE_TABLES
from demo.invoices import billing_cycle, describe, load_invoices
from demo.loading import (
    TABLES,
    Loader,
    Periods,
    Result,
    in_parallel,
    load_diaries,
    load_patients,
    prepare_session,
    set_constraints,
)
from demo.note_templates import seed_note_templates
from demo.people import PATIENT_BLOCK
from demo.plan import (
    SLOT_MINUTES,
    Calendar,
    Lookups,
    Plan,
    ascii_fold,
    expected_appointments,
    plan_doctors,
)
from demo.prescribing import load_prescribing
from demo.queue import seed_queue
from demo.reference import MEDICATIONS, PROCEDURES
from demo.series import seed_series
from demo.specialties import SPECIALTIES
from demo.vitals import load_vitals
from demo.waitlist import seed_waitlist
from reports import summaries


def _next_number(table: str, column: str, prefix: str) -> int:
    """1 + the largest number of the `prefix`-numbered codes in the column (1 when none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT COALESCE(MAX(substring({col} FROM 2)::bigint), 0) + 1 FROM {table} "
                "WHERE {col} ~ %s"
            ).format(col=sql.Identifier(column), table=sql.Identifier(table)),
            [f"^{prefix}[0-9]{{1,15}}$"],
        )
        return cursor.fetchone()[0]


def _seed_reference(plan: Plan) -> Lookups:
    """Specialties, price lists, billing settings, doctors, their hours and time off.

    Names already present (any case) are reused, so this also works on a database that
    has its own price list; billing settings are created only when missing.
    """
    from billing.models import BillingSettings, MedicationCost, ProcedureFee
    from doctors.models import Doctor, Specialty, TimeOff, WorkingHours

    specialty_ids = []
    for spec in SPECIALTIES:
        existing = Specialty.objects.filter(name__iexact=spec.name).first()
        specialty_ids.append((existing or Specialty.objects.create(name=spec.name)).pk)
    seed_note_templates(
        {spec.name: pk for spec, pk in zip(SPECIALTIES, specialty_ids, strict=True)}
    )
    MedicationCost.objects.bulk_create(
        [MedicationCost(name=name, unit_cost=Decimal(cost)) for name, cost in MEDICATIONS],
        ignore_conflicts=True,
    )
    ProcedureFee.objects.bulk_create(
        [ProcedureFee(name=name, fee=Decimal(fee)) for name, fee in PROCEDURES],
        ignore_conflicts=True,
    )
    medications = _ids_by_name(MedicationCost, MEDICATIONS)
    procedures = _ids_by_name(ProcedureFee, PROCEDURES)
    BillingSettings.objects.get_or_create(
        pk=1,
        defaults={
            "hospital_name": "St. Aurelia General Hospital",
            "hospital_address": "1 Aurelia Plaza\nBoston, MA 02114\nUnited States",
            "tax_id": "00-0000000 (demo)",
            "currency": "USD",
        },
    )

    doctors = Doctor.objects.bulk_create(
        [
            Doctor(
                code=f"D{plan.first_code + s.number:04d}",
                first_name=s.first_name,
                last_name=s.last_name,
                specialty_id=specialty_ids[s.specialty],
                email=(
                    f"{ascii_fold(s.first_name)[0]}.{ascii_fold(s.last_name)}"
                    f"{plan.first_code + s.number}@aurelia-hospital.example.org"
                ),
                phone=f"(617) 555-{(plan.first_code + s.number) % 10000:04d}",
                consultation_fee=s.fee,
            )
            for s in plan.doctor_specs
        ],
        batch_size=2000,
    )
    hours, time_off = [], []
    for spec, doctor in zip(plan.doctor_specs, doctors, strict=True):
        for weekday, blocks in sorted(spec.hours.items()):
            for first, end in blocks:
                hours.append(
                    WorkingHours(
                        doctor=doctor,
                        weekday=weekday,
                        start_time=datetime.time(first // 2, 30 * (first % 2)),
                        end_time=datetime.time(end // 2, 30 * (end % 2)),
                        slot_minutes=SLOT_MINUTES,
                        valid_from=plan.first_day,
                    )
                )
        for first, end in spec.holidays:
            time_off.append(
                TimeOff(
                    doctor=doctor,
                    start=_local(plan, first, 0),
                    end=_local(plan, end, 0),
                    reason="Annual leave",
                )
            )
        for d in spec.afternoons_off:
            time_off.append(
                TimeOff(
                    doctor=doctor,
                    start=_local(plan, d, 13),
                    end=_local(plan, d, 18),
                    reason="Conference",
                )
            )
    WorkingHours.objects.bulk_create(hours, batch_size=5000)
    TimeOff.objects.bulk_create(time_off, batch_size=5000)
    return Lookups(
        medication_ids=medications,
        procedure_ids=procedures,
        doctor_ids=[d.pk for d in doctors],
    )


def _ids_by_name(model, price_list: tuple[tuple[str, str], ...]) -> dict[str, int]:
    """Ids of the price-list rows, matched by name ignoring case (as the unique index does)."""
    wanted = {name.lower(): name for name, _ in price_list}
    return {
        wanted[name.lower()]: pk
        for pk, name in model.objects.values_list("pk", "name")
        if name.lower() in wanted
    }


def _bill(
    plan: Plan, look: Lookups, result: Result, stdout: Callable[[str], None], *, commit_each: bool
) -> None:
    """The billing office's past over what was loaded (demo.invoices), in this connection."""
    billing = billing_cycle(plan, result.counts.get("appointments", 0))
    started = time.perf_counter()
    counts = load_invoices(
        plan, look.first_patient_id, billing, commit_each=commit_each, progress=stdout
    )
    result.counts.update(counts)
    result.seconds["invoices"] = time.perf_counter() - started
    result.billing_cycle = billing.cycle
    stdout(f"  ... {describe(counts, billing)} ({time.perf_counter() - started:.0f} s)")


def _vitals(look: Lookups, patients: int, result: Result, stdout: Callable[[str], None]) -> None:
    """A reading at most visits, a few patients with a trend (demo.vitals)."""
    rows = load_vitals(first_patient_id=look.first_patient_id, patients=patients)
    result.counts["vital signs"] = rows
    stdout(f"  ... {rows:,} vital-signs readings")


def _prescribing(
    look: Lookups, patients: int, result: Result, stdout: Callable[[str], None]
) -> None:
    """A few structured allergies and prescriptions (demo.prescribing)."""
    counts = load_prescribing(first_patient_id=look.first_patient_id, patients=patients)
    result.counts.update(counts)
    stdout("  ... " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))


def _local(plan: Plan, day_index: int, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(plan.day(day_index), datetime.time(hour), tzinfo=plan.tz)


def seed(
    *,
    patients: int,
    doctors: int,
    days: int,
    seed: int,
    jobs: int = 1,
    commit_each: bool = False,
    today: datetime.date | None = None,
    stdout: Callable[[str], None] = print,
) -> Result:
    """Add a demo hospital to the database and return what was loaded and how long it took.

    With `jobs == 1` and not `commit_each`, everything happens in one transaction (all or
    nothing, and inside the caller's transaction if there is one), the summaries kept by
    their triggers. Otherwise the reference data is committed first, then the patients, the
    appointments and the invoices block by block, each block committed (with more jobs, by
    `jobs` parallel loaders, each holding one transaction), with the summaries deferred and
    rebuilt once at the end (reports.summaries).
    """
    plan = Plan(
        patients=patients,
        doctors=doctors,
        days=days,
        seed=seed,
        today=today or timezone.localdate(),
        tz=timezone.get_current_timezone(),
    )
    result = Result(jobs=jobs)
    expected = {"patients": patients, "appointments": expected_appointments(doctors, days)}
    loader = Loader(result, stdout, expected)
    started = time.perf_counter()
    one_transaction = jobs == 1 and not commit_each

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        result.phases[name] = now - since
        return now

    with transaction.atomic():
        plan.first_mrn = _next_number("patients_patient", "mrn", "P")
        plan.first_code = _next_number("doctors_doctor", "code", "D")
        plan.doctor_specs = plan_doctors(plan)
        look = _seed_reference(plan)
        with connection.cursor() as cursor:
            look.first_patient_id = (
                loader.reserve_ids(cursor, TABLES["patients"], patients) if patients else 1
            )
        result.counts["doctors"] = len(look.doctor_ids)
        cal = Calendar(plan)
        t = phase("reference data", started)
        blocks = list(range(math.ceil(patients / PATIENT_BLOCK)))
        periods = list(range(math.ceil(plan.n_days / PERIOD_DAYS)))
        diaries = Periods(plan, cal, look, first=periods[:jobs])
        if one_transaction:
            with connection.cursor() as cursor:
                names = prepare_session(cursor)
            load_patients(loader, plan, cal, look, blocks)
            t = phase("patients and history", t)
            load_diaries(loader, diaries, periods)
            t = phase("appointments and visits", t)
            _vitals(look, patients, result, stdout)
            _prescribing(look, patients, result, stdout)
            t = phase("vital signs", t)
            _bill(plan, look, result, stdout, commit_each=False)
            t = phase("invoices and payments", t)
            with connection.cursor() as cursor:
                set_constraints(cursor, names, "DEFERRED")
    if not one_transaction:
        if jobs == 1:
            load_patients(loader, plan, cal, look, blocks, commit_each=True)
            t = phase("patients and history", t)
            load_diaries(loader, diaries, periods, commit_each=True)
            t = phase("appointments and visits", t)
        else:
            in_parallel(
                loader,
                [
                    lambda w=w: load_patients(loader, plan, cal, look, blocks[w::jobs])
                    for w in range(jobs)
                ],
            )
            t = phase("patients and history", t)
            in_parallel(
                loader,
                [lambda w=w: load_diaries(loader, diaries, periods[w::jobs]) for w in range(jobs)],
            )
            t = phase("appointments and visits", t)
        with transaction.atomic():
            _vitals(look, patients, result, stdout)
            _prescribing(look, patients, result, stdout)
        t = phase("vital signs", t)
        _bill(plan, look, result, stdout, commit_each=True)
        t = phase("invoices and payments", t)
        with connection.cursor() as cursor:
            bulk.refresh_statistics(cursor, [*TABLES.values(), *INVOICE_TABLES.values()])
        with transaction.atomic():
            summaries.rebuild()  # every loader's transaction deferred them
        t = phase("summaries rebuilt", t)
    with transaction.atomic():
        # A recurring series, booked as the desk does (issue 18).
        seed_series(doctor_ids=look.doctor_ids, patient_id=look.first_patient_id, stdout=stdout)
        # Today's check-in queue: rooms on the display, a few patients waiting (issue 18).
        seed_queue(doctor_ids=look.doctor_ids, stdout=stdout)
        # Patients waiting, and a cancellation offered to the first of them (issue 18).
        seed_waitlist(
            doctor_ids=look.doctor_ids, first_patient_id=look.first_patient_id, stdout=stdout
        )
    with connection.cursor() as cursor:
        # Fresh statistics, so the first pages after a big seed get sensible query plans.
        bulk.refresh_statistics(cursor)
    t = phase("analyze", t)
    result.phases["total"] = t - started
    return result
