"""The demo's structured allergies and prescriptions, written by two INSERT … SELECT over the
patients and visits just loaded (no row leaves the server).

- One patient in 40 without an allergy gets a structured one (substance, reaction, severity,
  drug class), the first of them a severe penicillin allergy; the registration's free-text
  allergies ("Penicillin — hives") stay as they are, as imported ones would.
- One completed visit in 12 that gave medications gets a numbered prescription whose lines
  are those medication entries (each line linked to its entry, so it bills once, as the
  visit already billed it): a dose and frequency from the table below, 7 days.
"""

from __future__ import annotations

from django.db import connection

# substance, reaction, severity, drug class (clinical.drug_classes)
ALLERGIES = (
    ("Penicillin", "Hives and facial swelling", "severe", "penicillins"),
    ("Sulfamethoxazole", "Widespread rash", "moderate", "sulfonamides"),
    ("Ibuprofen", "Wheezing", "severe", "nsaids"),
    ("Codeine", "Vomiting", "mild", "opioids"),
    ("Peanuts", "Anaphylaxis", "life_threatening", ""),
    ("Latex", "Contact dermatitis", "mild", ""),
)

ALLERGY_INSERT = """
INSERT INTO patients_medicalhistory (
    patient_id, kind, description, reaction, severity, drug_class, recorded_on, is_billable,
    legacy_id, created_at, updated_at
)
SELECT p.id, 'allergy', a.substance, a.reaction, a.severity, a.drug_class,
       p.created_at::date, false, '', p.created_at, p.created_at
  FROM (
        SELECT p.id, p.created_at, row_number() OVER (ORDER BY p.id) - 1 AS n
          FROM patients_patient p
         WHERE p.id BETWEEN %(first)s AND %(last)s AND (p.id - %(first)s) %% 40 = 7
           AND NOT EXISTS (SELECT 1 FROM patients_medicalhistory h
                            WHERE h.patient_id = p.id AND h.kind = 'allergy')
       ) p
  JOIN (SELECT * FROM unnest(%(substances)s::text[], %(reactions)s::text[],
                             %(severities)s::text[], %(classes)s::text[])
                 WITH ORDINALITY AS t(substance, reaction, severity, drug_class, i)) a
    ON a.i - 1 = p.n %% %(kinds)s
"""

PRESCRIPTION_INSERT = """
WITH visits AS (
    INSERT INTO clinical_prescription (attendance_id, created_at, updated_at)
    SELECT a.id, a.completed_at, a.completed_at
      FROM appointments_attendance a
     WHERE a.patient_id BETWEEN %(first)s AND %(last)s AND a.completed_at IS NOT NULL
       AND a.id %% 12 = 5
       AND EXISTS (SELECT 1 FROM patients_medicalhistory h
                    WHERE h.attendance_id = a.id AND h.kind = 'medication')
     ORDER BY a.completed_at, a.id
    RETURNING id, attendance_id, created_at
)
INSERT INTO clinical_prescriptionline (
    prescription_id, drug_name, medication_id, dose, dose_unit, route, frequency,
    duration_days, quantity, instructions, allergy_alert, override_reason, history_entry_id,
    created_at, updated_at
)
SELECT v.id, h.description, h.medication_id, 1, 'tablet', 'oral',
       (ARRAY['daily', 'bid', 'tid'])[1 + h.id %% 3], 7, h.quantity,
       CASE WHEN h.id %% 2 = 0 THEN 'After meals' ELSE '' END, '', '', h.id,
       v.created_at, v.created_at
  FROM visits v
  JOIN patients_medicalhistory h ON h.attendance_id = v.attendance_id AND h.kind = 'medication'
"""


def load_prescribing(*, first_patient_id: int, patients: int) -> dict[str, int]:
    """Structured allergies and prescriptions for the seeded patients (ids `first_patient_id`
    on): the numbers written."""
    if not patients:
        return {"structured allergies": 0, "prescription lines": 0}
    bounds = {"first": first_patient_id, "last": first_patient_id + patients - 1}
    columns = list(zip(*ALLERGIES, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            ALLERGY_INSERT,
            {
                **bounds,
                "substances": list(columns[0]),
                "reactions": list(columns[1]),
                "severities": list(columns[2]),
                "classes": list(columns[3]),
                "kinds": len(ALLERGIES),
            },
        )
        allergies = cursor.rowcount
        cursor.execute(PRESCRIPTION_INSERT, bounds)
        lines = cursor.rowcount
    return {"structured allergies": allergies, "prescription lines": lines}
