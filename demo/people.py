"""Patients and their medical history as COPY text lines, one block of patients at a time."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

from core.bulk import NULL
from demo.note_templates import CONDITION_CODES
from demo.plan import Calendar, Lookups, Plan, ascii_fold, is_child, pick, random_for
from demo.reference import (
    ADULT_AGES,
    ADULT_CONDITIONS,
    ADULT_RELATIONSHIPS,
    ALLERGIES,
    AREA_CODES,
    CHILD_CONDITIONS,
    CHILD_RELATIONSHIPS,
    CITIES,
    EMAIL_DOMAINS,
    FEMALE_NAMES,
    LAST_NAMES,
    MALE_NAMES,
    MALE_ONLY_CONDITION,
    OTHER_SURGERIES,
    PROCEDURES,
    STREETS,
)

PATIENT_BLOCK = 20_000  # patients generated (and COPYed) together, one RNG per block
# The fields of the lines, in order.
PATIENT_COLUMNS = tuple(
    """
id created_at updated_at mrn first_name last_name date_of_birth dob_is_estimated sex phone email
address_line1 address_line2 city region postal_code country emergency_contact_name
emergency_contact_phone emergency_contact_relationship is_active
""".split()
)
HISTORY_COLUMNS = tuple(
    """
patient_id kind description medication_id procedure_id recorded_on ended_on created_at updated_at
is_billable legacy_id
""".split()
)
# What patients report at registration: a condition comes with its ICD-10-CM code.
REGISTRATION_HISTORY_COLUMNS = (*HISTORY_COLUMNS, "icd10_id")


def patient_block(
    plan: Plan, cal: Calendar, look: Lookups, block: int
) -> tuple[list[str], list[str]]:
    """COPY lines for one block of patients and their medical history (pure, deterministic)."""
    rng = random_for(plan.seed, "patients", block)
    rnd = rng.random
    meds = look.medication_ids
    age_weights = list(_cumulative(w for *_, w in ADULT_AGES))
    today, first_day = cal.today, cal.first_day
    child_newest = first_day - 30  # children are born before the first appointment
    child_oldest = today - 16 * 365 + 1
    child_span = max(1, child_newest - child_oldest)
    f_ascii = [ascii_fold(n) for n in FEMALE_NAMES]
    m_ascii = [ascii_fold(n) for n in MALE_NAMES]
    l_ascii = [ascii_fold(n) for n in LAST_NAMES]
    n_f, n_m, n_l = len(FEMALE_NAMES), len(MALE_NAMES), len(LAST_NAMES)
    patients: list[str] = []
    history: list[str] = []
    start = block * PATIENT_BLOCK
    for i in range(start, min(start + PATIENT_BLOCK, plan.patients)):
        pid = look.first_patient_id + i
        child = is_child(i, plan.seed)
        r = rnd()
        if r < 0.505:
            sex, female = "female", True
        elif r < 0.995:
            sex, female = "male", False
        else:
            sex, female = ("other" if r < 0.998 else "unknown"), rnd() < 0.5
        if female:
            k = int(rnd() * n_f)
            first, first_a = FEMALE_NAMES[k], f_ascii[k]
        else:
            k = int(rnd() * n_m)
            first, first_a = MALE_NAMES[k], m_ascii[k]
        k = int(rnd() * n_l)
        last, last_a = LAST_NAMES[k], l_ascii[k]
        if child:
            born = child_oldest + int(rnd() * child_span)
        else:
            lo, hi, _ = ADULT_AGES[bisect.bisect(age_weights, rnd() * age_weights[-1])]
            born = today - int((lo + rnd() * (hi - lo)) * 365.25) - 1
        age = (today - born) / 365.25
        r = rnd()
        if r < 0.004:
            dob, estimated = NULL, "f"
        elif r < 0.02:  # age known in years only: registered as 1 July of the year
            dob, estimated = f"{cal.date(born)[:4]}-07-01", "t"
        else:
            dob, estimated = cal.date(born), "f"
        phone = f"({pick(rnd, AREA_CODES)}) 555-{int(rnd() * 10000):04d}"
        if not child and rnd() < 0.72:
            email = f"{first_a}.{last_a}{int(rnd() * 100)}@{pick(rnd, EMAIL_DOMAINS)}"
        else:
            email = ""
        city, region, zips = pick(rnd, CITIES)
        line2 = f"Apt {int(rnd() * 40) + 1}{'ABCD'[int(rnd() * 4)]}" if rnd() < 0.18 else ""
        if child or rnd() < 0.85:
            ec_first = pick(rnd, FEMALE_NAMES if rnd() < 0.55 else MALE_NAMES)
            ec_last = last if rnd() < 0.7 else pick(rnd, LAST_NAMES)
            ec_name = f"{ec_first} {ec_last}"
            ec_phone = f"({pick(rnd, AREA_CODES)}) 555-{int(rnd() * 10000):04d}"
            ec_rel = pick(rnd, CHILD_RELATIONSHIPS if child else ADULT_RELATIONSHIPS)
        else:
            ec_name = ec_phone = ec_rel = ""
        registered = max(born, first_day - 1 - int(rnd() * 1800))
        created = f"{cal.date(registered)} {cal.hm[480 + int(rnd() * 540)]}"
        patients.append(
            f"{pid}\t{created}\t{created}\tP{plan.first_mrn + i:07d}\t{first}\t{last}\t{dob}\t"
            f"{estimated}\t{sex}\t{phone}\t{email}\t{int(rnd() * 9900) + 1} "
            f"{pick(rnd, STREETS)}\t{line2}\t{city}\t{region}\t{pick(rnd, zips)}\t"
            f"United States\t{ec_name}\t{ec_phone}\t{ec_rel}\tt\n"
        )

        # Medical history: more conditions with age, a medication for most of them; some
        # conditions have resolved and some medications were stopped before the seeded days.
        span = max(1, first_day - registered)
        conditions = CHILD_CONDITIONS if child else ADULT_CONDITIONS
        seen: set[int] = set()
        for _ in range(int(rnd() * (0.5 + age / 30))):
            k = int(rnd() * len(conditions))
            if k in seen or (k == MALE_ONLY_CONDITION and female and not child):
                continue
            seen.add(k)
            name, drugs = conditions[k]
            on = registered + int(rnd() * span)
            ended = on + int(rnd() * (first_day - on)) if rnd() < 0.12 else 0
            history.append(_entry(cal, pid, "condition", name, on, ended=ended))
            if rnd() < 0.75:
                drug = pick(rnd, drugs)
                ended = on + int(rnd() * (first_day - on)) if rnd() < 0.15 else 0
                history.append(
                    _entry(cal, pid, "medication", drug, on, medication=meds[drug], ended=ended)
                )
        if rnd() < (0.03 if child else 0.05 + age / 400):
            on = registered + int(rnd() * span)
            if rnd() < 0.1:
                history.append(_entry(cal, pid, "surgery", pick(rnd, OTHER_SURGERIES), on))
            else:
                name = pick(rnd, PROCEDURES)[0]
                history.append(
                    _entry(cal, pid, "surgery", name, on, procedure=look.procedure_ids[name])
                )
        if rnd() < 0.18:
            on = registered + int(rnd() * span)
            history.append(_entry(cal, pid, "allergy", pick(rnd, ALLERGIES), on))
    return patients, history


def _entry(
    cal: Calendar,
    pid: int,
    kind: str,
    description: str,
    on: int,
    *,
    medication: int | None = None,
    procedure: int | None = None,
    ended: int = 0,
) -> str:
    """A COPY line of medical history (REGISTRATION_HISTORY_COLUMNS) recorded at noon on day
    `on`.

    Not billable: what a patient tells at registration (medications prescribed and surgeries
    done before the seeded days) was never given here. What the hospital gives is recorded at
    its visits (demo.diaries), and billed (demo.invoices)."""
    day = cal.date(on)
    return (
        f"{pid}\t{kind}\t{description}\t{medication or NULL}\t{procedure or NULL}\t{day}\t"
        f"{cal.date(ended) if ended else NULL}\t{day} 12:00:00+00\t{day} 12:00:00+00\tf\t\t"
        f"{CONDITION_CODES.get(description, NULL) if kind == 'condition' else NULL}\n"
    )


def _cumulative(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total
