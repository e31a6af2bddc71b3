"""Appointments and their visits (attendances), one period of every doctor's diary at a time.

No appointment can break the exclusion constraints. All slots are 30-minute cells on a grid
aligned on the half hour, so two appointments overlap only when they start together. A
doctor's cell is used at most once. At each start time, the k-th doctor of a group is given
the patient at position (offset + k) of a fixed permutation of that group's patient pool
(children for paediatrics, adults for everyone else), so no patient is booked twice at the
same time; back-to-back visits are allowed.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

from core.bulk import NULL
from demo.plan import SLOT_MINUTES, Calendar, DoctorSpec, Lookups, Plan, is_child, pick, random_for
from demo.reference import CANCEL_REASONS, NOTES
from demo.specialties import SPECIALTIES

PERIOD_DAYS = 14  # appointments generated (and COPYed) together, one RNG per doctor and period
# The fields of the lines, in order; the loader puts the ids in front as it reserves them.
APPOINTMENT_COLUMNS = tuple(
    """
id created_at updated_at patient_id doctor_id start end status reason cancel_reason
""".split()
)
ATTENDANCE_COLUMNS = tuple(
    """
id appointment_id patient_id checked_in_at started_at completed_at concerns symptoms diagnosis
notes created_at updated_at
""".split()
)


@dataclass
class PatientPools:
    """Who may be booked with whom: children see paediatrics, adults everyone else.

    At start time t the k-th doctor of a group sees pool[perm((offset[t] + k) mod n)], with
    perm(x) = (a·x + b) mod n a bijection; distinct k give distinct patients. When a pool
    is smaller than its group of doctors, a rotating window of n doctors gets patients.
    """

    members: list[array]
    a: list[int]
    b: list[int]
    offsets: list[array]  # per group, per global slot (day index * 48 + half hour)
    rotation: list[array]
    sizes: list[int]  # doctors per group


def plan_pools(plan: Plan, groups: list[int]) -> PatientPools:
    """`groups[g]`: how many doctors are in group g (0 = adults, 1 = children)."""
    rng = random_for(plan.seed, "pools")
    members = [array("q"), array("q")]
    for i in range(plan.patients):
        members[1 if is_child(i, plan.seed) else 0].append(i)
    a, b, offsets, rotation = [], [], [], []
    slots = plan.n_days * 48
    for g, pool in enumerate(members):
        n = max(1, len(pool))
        mult = rng.randrange(n // 3, max(n // 3 + 1, 2 * n // 3)) | 1
        while math.gcd(mult, n) != 1:
            mult += 1
        a.append(mult % n or 1)
        b.append(rng.randrange(n))
        offsets.append(array("q", (rng.randrange(n) for _ in range(slots))))
        size = max(1, groups[g])
        rotation.append(array("q", (rng.randrange(size) for _ in range(slots))))
    return PatientPools(members, a, b, offsets, rotation, list(groups))


@dataclass
class DiaryChunk:
    """Appointments of a period, with their visits; ids are filled in when written."""

    appointments: list[str] = field(default_factory=list)  # lines without the leading id
    attendances: list[tuple[int, str]] = field(default_factory=list)  # (appointment #, rest)
    history: list[tuple[int, str]] = field(default_factory=list)  # (attendance #, rest)


@dataclass
class Diary:
    """What generating one doctor's appointments needs, worked out once."""

    spec: DoctorSpec
    doctor_id: int
    group: int  # 0 adults, 1 children
    rank: int  # position among the doctors of the group
    slots: dict[int, list[int]]  # weekday → half-hour slots worked
    days_off: set[int]
    afternoons_off: set[int]


def doctor_diaries(plan: Plan, look: Lookups) -> list[Diary]:
    ranks = [0, 0]
    out = []
    for spec in plan.doctor_specs:
        group = 1 if SPECIALTIES[spec.specialty].children else 0
        out.append(
            Diary(
                spec=spec,
                doctor_id=look.doctor_ids[spec.number],
                group=group,
                rank=ranks[group],
                slots={
                    wd: [s for first, end in blocks for s in range(first, end)]
                    for wd, blocks in spec.hours.items()
                },
                days_off=set(spec.days_off),
                afternoons_off=set(spec.afternoons_off),
            )
        )
        ranks[group] += 1
    return out


def period_diary(
    plan: Plan,
    cal: Calendar,
    look: Lookups,
    pools: PatientPools,
    diaries: list[Diary],
    period: int,
) -> DiaryChunk:
    """Every doctor's appointments over one period of PERIOD_DAYS days (pure, deterministic:
    one random stream per doctor and period).

    Past days: about 82 % of slots booked; 80 % of them completed (with a visit record:
    18 % give a medication, a few in a hundred at the surgical specialties record a listed
    procedure), 11 % cancelled, 9 % no-shows. Today and the next 13 days: fuller the nearer
    they are, a few cancelled, the rest scheduled.

    The rows come sorted by patient: inserted in that order, the patient-keyed pages (the
    foreign-key lookups, the patient exclusion constraint and indexes) are each read once per
    period instead of once per row, which is most of what a big seed costs the database.
    """
    first_day = period * PERIOD_DAYS
    days = range(first_day, min(first_day + PERIOD_DAYS, plan.n_days))
    fill = [0.82 if d < plan.days else 0.9 - 0.04 * (d - plan.days) for d in days]
    weekdays = [plan.day(d).weekday() for d in days]
    meds, procs = look.medication_ids, look.procedure_ids
    midnight = cal.slot_minutes[plan.days][0]  # today began: nothing was written after it
    pbase = look.first_patient_id
    # "start<TAB>end" of every slot of the period's days, shared by all doctors
    spans = {
        d: [f"{cal.ts(m)}\t{cal.ts(m + SLOT_MINUTES)}" for m in cal.slot_minutes[d]] for d in days
    }
    n_notes, n_reasons = len(NOTES), len(CANCEL_REASONS)
    rows: list[tuple[int, str, str | None, list[str]]] = []
    for diary in diaries:
        pool = pools.members[diary.group]
        n = len(pool)
        if not n:
            continue
        rnd = random_for(plan.seed, "diary", diary.spec.number, period).random
        size = max(1, pools.sizes[diary.group])
        k0 = diary.rank
        a, b = pools.a[diary.group], pools.b[diary.group]
        offsets, rotation = pools.offsets[diary.group], pools.rotation[diary.group]
        sp = SPECIALTIES[diary.spec.specialty]
        visits, drugs = sp.visits, sp.medications
        surgery_share, operations = sp.surgery_share, sp.procedures
        did = diary.doctor_id
        for i, d in enumerate(days):
            slots = diary.slots.get(weekdays[i])
            if not slots or d in diary.days_off:
                continue
            past = d < plan.days
            p = fill[i]
            afternoon_off = d in diary.afternoons_off
            minutes = cal.slot_minutes[d]
            span = spans[d]
            on = cal.date(cal.first_day + d)
            for s in slots:
                if rnd() >= p or (afternoon_off and s >= 26):
                    continue
                t = d * 48 + s
                k = (k0 - rotation[t]) % size if n < size else k0
                if k >= n:
                    continue
                pid = pbase + pool[(a * ((offsets[t] + k) % n) + b) % n]
                start = minutes[s]
                end = start + SLOT_MINUTES
                visit = visits[int(rnd() * len(visits))]
                # booked in office hours 1–45 days ahead, never after today began
                lead = max(1 + int(rnd() * 45), d - plan.days + 1)
                booked = (start // 1440 - lead) * 1440 + 480 + int(rnd() * 600)
                created = cal.ts(booked)
                r = rnd()
                cancel = ""
                attendance = None
                history: list[str] = _NO_HISTORY
                if past and r < 0.80:
                    status = "completed"
                    checked_in = cal.ts(start - int(rnd() * 20))
                    started = start + int(rnd() * 15)
                    updated = cal.ts(started + 12 + int(rnd() * 18))
                    attendance = (
                        f"{pid}\t{checked_in}\t{cal.ts(started)}\t{updated}\t"
                        f"{visit.concerns}\t{visit.symptoms}\t{visit.diagnosis}\t"
                        f"{NOTES[int(rnd() * n_notes)]}\t{checked_in}\t{updated}\n"
                    )
                    # recorded_on, ended_on, created_at, updated_at, is_billable, legacy_id
                    tail = f"\t{on}\t{NULL}\t{updated}\t{updated}\tt\t"
                    if rnd() < 0.18:  # a medication given: a pack, sometimes two or three
                        drug = pick(rnd, drugs)
                        units = _UNITS[int(rnd() * len(_UNITS))]
                        history = [
                            f"{pid}\tmedication\t{drug}\t{meds[drug]}\t{NULL}{tail}\t{units}\n"
                        ]
                    if visit.chronic and rnd() < 0.1:
                        problem = (
                            f"{pid}\tcondition\t{visit.diagnosis[:-1]}\t{NULL}\t{NULL}{tail}\t1\n"
                        )
                        history = [*history, problem]
                    if surgery_share and rnd() < surgery_share:
                        name = pick(rnd, operations)
                        surgery = f"{pid}\tsurgery\t{name}\t{NULL}\t{procs[name]}{tail}\t1\n"
                        history = [*history, surgery]
                elif (past and r < 0.91) or (not past and r < 0.06):
                    status = "cancelled"
                    cancel = CANCEL_REASONS[int(rnd() * n_reasons)]
                    updated = cal.ts(booked + int((min(start, midnight) - booked) * rnd()))
                elif past:
                    status = "no_show"
                    updated = cal.ts(end + 60)
                else:
                    status = "scheduled"
                    updated = created
                rows.append(
                    (
                        pid,
                        f"{created}\t{updated}\t{pid}\t{did}\t{span[s]}\t"
                        f"{status}\t{visit.reason}\t{cancel}\n",
                        attendance,
                        history,
                    )
                )
    rows.sort(key=_by_patient)
    out = DiaryChunk()
    for _, line, attendance, history in rows:
        if attendance is not None:
            out.attendances.append((len(out.appointments), attendance))
            visit_no = len(out.attendances) - 1
            out.history.extend((visit_no, h) for h in history)
        out.appointments.append(line)
    return out


_NO_HISTORY: list[str] = []
_UNITS = (1, 1, 1, 1, 1, 1, 1, 2, 2, 3)  # packs of a medication given at a visit


def _by_patient(row: tuple) -> int:
    return row[0]


def group_sizes(specs: list[DoctorSpec]) -> list[int]:
    children = sum(1 for s in specs if SPECIALTIES[s.specialty].children)
    return [len(specs) - children, children]
