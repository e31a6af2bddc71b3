# The demographics by birth month (issue 14): a roll-up of 0001's counts per birth date, kept
# exact by triggers in the writers' transaction, so that the report reads a bounded number of
# rows however many patients (reports.selectors.health.demographics_report).

import importlib

from django.db import migrations, models

_0001 = importlib.import_module("reports.migrations.0001_summaries")

# The first day of a date's month, the one definition the triggers, the rebuild and the report
# share. Through timestamp without time zone: no session zone in the way.
MONTH_FUNCTION = """
CREATE FUNCTION reports_birth_month(day date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_trunc('month', day::timestamp)::date
$$;
"""

# Active patients by birth month, a column per sex, added as 0001 adds per (date of birth,
# sex): each statement's net change per month, in the months' order, as one upsert (the row
# lock of ON CONFLICT makes concurrent additions add up). The triggers are named after 0001's
# so that they fire just after them on every event (same event: by name): every writer locks
# the day rows, then the month rows, each in key order, so two statements never deadlock on
# them. The sexes are patients.models.Sex, the only values the patients' CHECK allows.
_SEXES = ("female", "male", "other", "unknown")
_ADD_COUNTS = """
    INSERT INTO reports_demographicmonthcount AS m (birth_month, {columns})
    SELECT reports_birth_month(date_of_birth), {sums} FROM ({{deltas}}) AS x
    GROUP BY 1 HAVING ({sums}) <> ({zeros})
    ORDER BY 1
    ON CONFLICT (birth_month) DO UPDATE SET {additions};
""".format(
    columns=", ".join(_SEXES),
    sums=", ".join(f"sum(CASE WHEN sex = '{s}' THEN delta ELSE 0 END)" for s in _SEXES),
    zeros=", ".join("0" for _ in _SEXES),
    additions=", ".join(f"{s} = m.{s} + excluded.{s}" for s in _SEXES),
)
_COUNTS = ", ".join(f"count(*) FILTER (WHERE sex = '{s}')" for s in _SEXES)
_CHANGED = """
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE {side}.is_active
          AND (reports_birth_month(o.date_of_birth), o.sex, o.is_active) IS DISTINCT FROM
              (reports_birth_month(n.date_of_birth), n.sex, n.is_active)"""
_UPDATE_DELTAS = (
    "SELECT o.date_of_birth, o.sex, -1 AS delta"
    + _CHANGED.format(side="o")
    + "\n        UNION ALL\n        SELECT n.date_of_birth, n.sex, 1"
    + _CHANGED.format(side="n")
)


def _trigger(event: str, name: str, deltas: str, transition: str) -> str:
    return f"""
CREATE FUNCTION reports_patients_{name}_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hms.defer_summaries', true) = 'on' THEN RETURN NULL; END IF;
    {_ADD_COUNTS.format(deltas=deltas)}
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_patients_{name}_months
    AFTER {event} ON patients_patient REFERENCING {transition}
    FOR EACH STATEMENT EXECUTE FUNCTION reports_patients_{name}_months();
"""


PATIENT_TRIGGERS = (
    _trigger(
        "INSERT",
        "inserted",
        "SELECT date_of_birth, sex, 1 AS delta FROM new_rows WHERE is_active",
        "NEW TABLE AS new_rows",
    )
    + _trigger("UPDATE", "updated", _UPDATE_DELTAS, "OLD TABLE AS old_rows NEW TABLE AS new_rows")
    + _trigger(
        "DELETE",
        "deleted",
        "SELECT date_of_birth, sex, -1 AS delta FROM old_rows WHERE is_active",
        "OLD TABLE AS old_rows",
    )
)

# 0001's rebuild (reports.summaries.rebuild, after a parallel bulk load that deferred the
# summaries), now making the months again too, under the same table locks.
REBUILD_FUNCTION = """
CREATE OR REPLACE FUNCTION reports_rebuild_summaries() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE reports_patienthealthsummary, reports_demographiccount,
        reports_demographicmonthcount IN EXCLUSIVE MODE;
    DELETE FROM reports_demographiccount;
    INSERT INTO reports_demographiccount (date_of_birth, sex, patients)
    SELECT date_of_birth, sex, count(*) FROM patients_patient WHERE is_active
    GROUP BY date_of_birth, sex;
    DELETE FROM reports_demographicmonthcount;
    INSERT INTO reports_demographicmonthcount (birth_month, {columns})
    SELECT reports_birth_month(date_of_birth), {counts} FROM patients_patient
    WHERE is_active
    GROUP BY 1;
    DELETE FROM reports_patienthealthsummary;
    INSERT INTO reports_patienthealthsummary (
        patient_id, entries, distinct_medications, distinct_surgeries, medications, surgeries
    )
    SELECT p.patient_id, f.*
    FROM (SELECT DISTINCT patient_id FROM patients_medicalhistory) p
    CROSS JOIN LATERAL reports_patient_health(p.patient_id, NULL, NULL) f;
END
$$;
""".format(columns=", ".join(_SEXES), counts=_COUNTS)

# What is there already, taken with the writers kept out.
BACKFILL = """
LOCK TABLE patients_patient IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO reports_demographicmonthcount (birth_month, {columns})
SELECT reports_birth_month(date_of_birth), {counts} FROM patients_patient WHERE is_active
GROUP BY 1;
""".format(columns=", ".join(_SEXES), counts=_COUNTS)

DROP = (
    """
DROP TRIGGER IF EXISTS reports_patients_inserted_months ON patients_patient;
DROP TRIGGER IF EXISTS reports_patients_updated_months ON patients_patient;
DROP TRIGGER IF EXISTS reports_patients_deleted_months ON patients_patient;
DROP FUNCTION IF EXISTS reports_patients_inserted_months(), reports_patients_updated_months(),
    reports_patients_deleted_months();
"""
    # 0001's rebuild again, before the months' table and function go.
    + _0001.REBUILD_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    + "DROP FUNCTION IF EXISTS reports_birth_month(date);"
)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_summaries"),
    ]

    operations = [
        migrations.CreateModel(
            name="DemographicMonthCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("birth_month", models.DateField(null=True)),
                ("female", models.IntegerField(default=0)),
                ("male", models.IntegerField(default=0)),
                ("other", models.IntegerField(default=0)),
                ("unknown", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("birth_month",),
                        name="reports_demographicmonthcount_unique",
                        nulls_distinct=False,
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("birth_month__day", 1), ("birth_month__isnull", True), _connector="OR"
                        ),
                        name="reports_demographicmonthcount_first_day",
                        violation_error_message="A birth month is written as its first day.",
                    ),
                ],
            },
        ),
        migrations.RunSQL(MONTH_FUNCTION + PATIENT_TRIGGERS + REBUILD_FUNCTION + BACKFILL, DROP),
    ]
