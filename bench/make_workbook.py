"""Write a large seed-shaped workbook as a folder of CSV files, for timing `import_workbook`.

    python bench/make_workbook.py OUT_DIR [--patients 100000] [--appointments 500000]
        [--doctors 200] [--history 150000] [--seed 1]

The data is valid (the import must accept it): no doctor and no patient has two appointments at
once, every Completed appointment has its PatientsAttendAppointments row, and the seed's
conventions appear throughout (`None`/`N/A`/`-` for nothing, medication names in other case and
with blanks, `No Show` and `No-Show`, a medication missing from the price list).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import random
import time
from pathlib import Path

FIRST = ["Ann", "Bob", "Cy", "Di", "Ed", "Fay", "Gus", "Hal", "Ida", "Jo", "Kim", "Lou", "Max"]
LAST = ["Lee", "Ray", "Cole", "Dunn", "Eady", "Ford", "Gray", "Hill", "Iver", "Jones", "King"]
SPECIALTIES = ["Cardiology", "Dermatology", "Endocrinology", "General Medicine", "Neurology"]
PRICES = {
    "Metformin": "12.5",
    "Lisinopril": "9.75",
    "Atorvastatin": "18.0",
    "Amoxicillin": "7.25",
    "Ibuprofen": "4.1",
    "Paracetamol": "3.2",
    "Omeprazole": "11.4",
    "Salbutamol": "15.9",
}
CONDITIONS = ["Diabetes", "Hypertension", "Asthma", "Migraine", "Arthritis", "GERD"]
SURGERIES = ["Appendectomy", "Hip Replacement", "Knee Replacement", "Tonsillectomy"]
NOTHING = ["None", "N/A", "-", ""]
SLOTS_PER_DAY = 16  # 08:00-16:00 in 30-minute slots
# (status as written, share): Completed ones get a PatientsAttendAppointments row.
STATUSES = [("Completed", 60), ("Scheduled", 15), ("Cancelled", 15), ("No-Show", 5), ("No Show", 5)]


def _write(folder: Path, name: str, header: list[str], rows) -> int:
    count = 0
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def make_workbook(
    out: Path, *, patients: int, appointments: int, doctors: int, history: int, seed: int
) -> dict[str, int]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    counts["Medication_Cost"] = _write(
        out, "Medication_Cost", ["Medication", "Cost_in$"], PRICES.items()
    )
    counts["Doctor"] = _write(
        out,
        "Doctor",
        ["DoctorID", "Fname", "Lname", "Specialization", "Contact", "Email"],
        (
            [
                f"D{d:04d}",
                rng.choice(FIRST),
                rng.choice(LAST),
                SPECIALTIES[d % len(SPECIALTIES)],
                f"555-{d:07d}",
                f"dr{d}@hospital.example",
            ]
            for d in range(1, doctors + 1)
        ),
    )
    counts["Patient"] = _write(
        out,
        "Patient",
        ["PatientID", "Fname", "Lname", "Gender", "Age", "Contact", "Email"],
        (
            [
                f"P{p:07d}",
                rng.choice(FIRST),
                rng.choice(LAST),
                rng.choice(["Female", "Male", "F", "m", ""]),
                rng.choice([str(rng.randint(0, 95))] * 9 + ["None"]),
                rng.choice([f"555-{p:07d}", "N/A"]),
                f"patient{p}@example.org",
            ]
            for p in range(1, patients + 1)
        ),
    )

    # Appointment i: doctor i % doctors, in slot i // doctors of that doctor's calendar. All
    # appointments sharing a slot have different doctors, and (i * step) % patients gives them
    # different patients too (step is coprime with the patient count), so nothing overlaps.
    step = next(k for k in range(7919, 10**6) if _coprime(k, patients))
    first_day = datetime.date(2023, 1, 2)
    weights = [share for _, share in STATUSES]
    labels = [label for label, _ in STATUSES]
    completed: list[tuple[str, str]] = []

    def appointment_rows():
        for i in range(appointments):
            slot = i // doctors
            day = first_day + datetime.timedelta(days=slot // SLOTS_PER_DAY)
            minutes = 8 * 60 + (slot % SLOTS_PER_DAY) * 30
            patient = f"P{(i * step) % patients + 1:07d}"
            status = rng.choices(labels, weights)[0]
            legacy_id = f"A{i + 1:07d}"
            if status == "Completed":
                completed.append((patient, legacy_id))
            yield [
                legacy_id,
                patient,
                f"D{i % doctors + 1:04d}",
                day.isoformat(),
                f"{minutes // 60:02d}:{minutes % 60:02d}",
                f"{(minutes + 30) // 60:02d}:{(minutes + 30) % 60:02d}",
                status,
            ]

    counts["Appointment"] = _write(
        out,
        "Appointment",
        ["AppointmentID", "PatientID", "DoctorID", "Date", "StartTime", "EndTime", "Status"],
        appointment_rows(),
    )
    counts["PatientsAttendAppointments"] = _write(
        out, "PatientsAttendAppointments", ["PatientID", "AppointmentID"], completed
    )

    names = list(PRICES)

    def medication() -> str:
        roll = rng.random()
        if roll < 0.1:
            return rng.choice(NOTHING)
        if roll < 0.15:
            return "Unobtainium"  # not on the price list
        name = rng.choice(names)
        if roll < 0.3:
            return f" {name.lower()} "
        return name

    counts["MedicalHistory"] = _write(
        out,
        "MedicalHistory",
        ["HistoryID", "PatientID", "Date", "Condition", "Surgeries", "Medication"],
        (
            [
                f"H{h + 1:07d}",
                f"P{h % patients + 1:07d}",
                (
                    datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randint(0, 3000))
                ).isoformat(),
                rng.choice(CONDITIONS + NOTHING[:1]),
                rng.choice(SURGERIES) if rng.random() < 0.3 else rng.choice(NOTHING),
                medication(),
            ]
            for h in range(history)
        ),
    )
    return counts


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=500_000)
    parser.add_argument("--doctors", type=int, default=200)
    parser.add_argument("--history", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    counts = make_workbook(
        args.out,
        patients=args.patients,
        appointments=args.appointments,
        doctors=args.doctors,
        history=args.history,
        seed=args.seed,
    )
    rows = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    print(f"Wrote {args.out}: {rows} rows in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
