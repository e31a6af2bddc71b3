"""The demo's vital signs: a reading at most visits that took place, written by one
INSERT … SELECT over the visits just loaded (no row leaves the server), every CHECK constraint
of clinical_vitalsreading holding.

Values come from a hash of the patient's place in the seed and the visit's number in their
record, so the same seed gives the same readings, whatever the ids. Most patients are
normal, with a little noise; three kinds of patient show a trend on the chart:
- one in ten (place ≡ 0 mod 10) a blood pressure climbing visit after visit (132/84 up to
  ~178/104: flagged high from the third visit or so);
- one in ten (≡ 3) losing weight (1.1 kg a visit, weighed every time: BMI falls);
- one in ten (≡ 6) a chest infection at every other visit: fever, fast pulse and breathing,
  SpO₂ down to 92-94 % (flagged), normal in between.
Others are weighed at their first visit and every third; one visit in five has no reading.
"""

from __future__ import annotations

from django.db import connection

# `%%` is the modulo operator: the text goes through psycopg's placeholders.
INSERT = """
INSERT INTO clinical_vitalsreading (
    attendance_id, taken_at, systolic, diastolic, pulse, temperature, respiratory_rate, spo2,
    weight, height, created_at, updated_at
)
SELECT v.id, v.started_at + interval '4 minutes',
       CASE WHEN k.trend = 0 THEN least(128 + 4 * v.n, 174) ELSE 106 + k.p %% 5 * 6 END
           + k.h %% 9 - 4,
       CASE WHEN k.trend = 0 THEN least(82 + 2 * v.n, 102) ELSE 66 + k.p %% 4 * 4 END
           + k.h / 9 %% 7 - 3,
       CASE WHEN k.ill THEN 104 + k.h %% 10 ELSE 62 + k.p %% 5 * 4 + k.h / 63 %% 12 END,
       CASE WHEN k.ill THEN 38.3 + k.h %% 8 / 10.0 ELSE 36.4 + k.h / 500 %% 10 / 10.0 END,
       CASE WHEN k.ill THEN 22 + k.h %% 4 ELSE 13 + k.h / 7 %% 6 END,
       CASE WHEN k.ill THEN 92 + k.h %% 3 ELSE 96 + k.h / 11 %% 4 END,
       CASE WHEN k.weighed THEN
           CASE WHEN k.trend = 3 THEN greatest(70 + k.p * 13 %% 25 - 1.1 * v.n, 45)
                ELSE 52 + k.p * 13 %% 45 + k.h / 3 %% 10 / 10.0 END
       END,
       CASE WHEN k.weighed THEN 152 + k.p * 7 %% 38 END,
       v.started_at + interval '5 minutes', v.started_at + interval '5 minutes'
  FROM (
        SELECT a.id, a.patient_id, a.started_at,
               row_number() OVER (PARTITION BY a.patient_id ORDER BY a.started_at, a.id) AS n
          FROM appointments_attendance a
         WHERE a.started_at IS NOT NULL AND a.patient_id BETWEEN %(first)s AND %(last)s
       ) v
 CROSS JOIN LATERAL (
        SELECT p, p %% 10 AS trend, h,
               p %% 10 = 6 AND v.n %% 2 = 1 AS ill,
               p %% 10 IN (0, 3) OR v.n %% 3 = 1 AS weighed
          FROM (SELECT v.patient_id - %(first)s AS p,
                       abs(hashtext((v.patient_id - %(first)s) || '-' || v.n)) AS h) AS hashed
       ) k
 WHERE k.trend IN (0, 3, 6) OR k.h %% 5 <> 0
"""


def load_vitals(*, first_patient_id: int, patients: int) -> int:
    """Readings for the visits of the seeded patients (ids `first_patient_id` on); the number
    written."""
    if not patients:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(INSERT, {"first": first_patient_id, "last": first_patient_id + patients - 1})
        return cursor.rowcount
