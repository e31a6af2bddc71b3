"""Appointment-patterns from roll-ups that do not grow with the appointments (issue 14).

Lead time in whole days: the local date of the appointment − the local date it was booked
(0 when booked on or after its day; imported appointments have none), as a hospital reads
"booked N days ahead". LeadCount (one row per doctor, hour and exact lead in microseconds,
about one per appointment) gives way to HourCount (the hospital per day and hour),
DayLeadCount (the hospital's lead histogram per day) and DoctorLeadCount (each doctor's lead
histogram per day and per month). The roll-ups lose their foreign keys to the doctor.

The triggers are as in 0004 (statement-level, transition tables, delta upserts in key order,
rows at zero removed) but in static SQL, one function per operation, so PL/pgSQL keeps their
plans; they skip while `hms.defer_summaries` is on (reports.summaries: a bulk loader then
rebuilds them).
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ACTIVE = "'scheduled', 'checked_in', 'completed'"
STATUS_COLS = "scheduled, checked_in, completed, cancelled, no_show"
COUNTS = """COALESCE(sum(sign) FILTER (WHERE status = 'scheduled'), 0),
           COALESCE(sum(sign) FILTER (WHERE status = 'checked_in'), 0),
           COALESCE(sum(sign) FILTER (WHERE status = 'completed'), 0),
           COALESCE(sum(sign) FILTER (WHERE status = 'cancelled'), 0),
           COALESCE(sum(sign) FILTER (WHERE status = 'no_show'), 0)"""
ADD = """scheduled = t.scheduled + EXCLUDED.scheduled,
        checked_in = t.checked_in + EXCLUDED.checked_in,
        completed = t.completed + EXCLUDED.completed,
        cancelled = t.cancelled + EXCLUDED.cancelled,
        no_show = t.no_show + EXCLUDED.no_show"""
ZERO = (
    "t.scheduled = 0 AND t.checked_in = 0 AND t.completed = 0 AND t.cancelled = 0 AND t.no_show = 0"
)
# A day's bookings count again in its month's row (DoctorLeadCount.whole_month).
BOTH_SPANS = "CROSS JOIN LATERAL (VALUES (false, {0}.day), (true, date_trunc('month', {0}.day)::date)) AS x(m, first)"  # noqa: E501
TABLES = (
    "appointments_doctordaycount",
    "appointments_daycount",
    "appointments_hourcount",
    "appointments_dayleadcount",
    "appointments_doctorleadcount",
)


def rows(table: str, sign: int, where: str = "TRUE") -> str:
    """One statement's changes as (doctor_id, day, hour, lead_days, status, booked_us, sign);
    `tz` is the roll-ups' zone (a PL/pgSQL variable)."""
    return f"""
    SELECT r.doctor_id,
           (r.start AT TIME ZONE tz)::date AS day,
           extract(hour FROM r.start AT TIME ZONE tz)::int AS hour,
           CASE WHEN r.legacy_id IS NULL
                THEN GREATEST((r.start AT TIME ZONE tz)::date
                              - (r.created_at AT TIME ZONE tz)::date, 0)
                ELSE -1 END AS lead_days,
           r.status,
           CASE WHEN r.status IN ({ACTIVE})
                THEN (extract(epoch FROM r."end" - r.start) * 1000000)::bigint ELSE 0 END
               AS booked_us,
           {sign} AS sign
    FROM {table} r WHERE {where}"""


# An updated row counts only when a column the roll-ups read changed.
def changed(other: str) -> str:
    return f"""NOT EXISTS (SELECT 1 FROM {other} x WHERE x.id = r.id
        AND x.doctor_id = r.doctor_id AND x.start = r.start AND x."end" = r."end"
        AND x.status = r.status AND x.created_at IS NOT DISTINCT FROM r.created_at
        AND x.legacy_id IS NOT DISTINCT FROM r.legacy_id)"""


def apply(deltas: str) -> str:
    """Add the deltas to every roll-up: one upsert per table, rows locked in key order."""
    return f"""
    WITH d AS MATERIALIZED ({deltas}),
    dd AS (
        INSERT INTO appointments_doctordaycount AS t (doctor_id, day, {STATUS_COLS}, booked_us)
        SELECT doctor_id, day, {COUNTS}, COALESCE(sum(sign * booked_us), 0)
        FROM d GROUP BY doctor_id, day ORDER BY doctor_id, day
        ON CONFLICT (doctor_id, day) DO UPDATE
            SET {ADD}, booked_us = t.booked_us + EXCLUDED.booked_us
    ),
    dy AS (
        INSERT INTO appointments_daycount AS t (day, {STATUS_COLS})
        SELECT day, {COUNTS} FROM d GROUP BY day ORDER BY day
        ON CONFLICT (day) DO UPDATE SET {ADD}
    ),
    hr AS (
        INSERT INTO appointments_hourcount AS t (day, hour, {STATUS_COLS}, lead_count,
                                                 lead_days_sum)
        SELECT day, hour, {COUNTS},
               COALESCE(sum(sign) FILTER (WHERE lead_days >= 0), 0),
               COALESCE(sum(sign * lead_days) FILTER (WHERE lead_days >= 0), 0)
        FROM d GROUP BY day, hour ORDER BY day, hour
        ON CONFLICT (day, hour) DO UPDATE
            SET {ADD}, lead_count = t.lead_count + EXCLUDED.lead_count,
                lead_days_sum = t.lead_days_sum + EXCLUDED.lead_days_sum
    ),
    dl AS (
        INSERT INTO appointments_dayleadcount AS t (day, lead_days, bookings)
        SELECT day, lead_days, sum(sign) FROM d WHERE lead_days >= 0
        GROUP BY day, lead_days ORDER BY day, lead_days
        ON CONFLICT (day, lead_days) DO UPDATE SET bookings = t.bookings + EXCLUDED.bookings
    )
    INSERT INTO appointments_doctorleadcount AS t (whole_month, day, doctor_id, lead_days,
                                                   {STATUS_COLS})
    SELECT x.m, x.first, d.doctor_id, d.lead_days, {COUNTS}
    FROM d {BOTH_SPANS.format("d")}
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (whole_month, day, doctor_id, lead_days) DO UPDATE SET {ADD}"""


def prune(deltas: str) -> str:
    """Remove the rows a decrease left at zero (an empty day would cost the pages)."""
    return f"""
    WITH g AS MATERIALIZED (
        SELECT DISTINCT doctor_id, day, hour, lead_days FROM ({deltas}) d WHERE sign < 0
    ),
    dd AS (
        DELETE FROM appointments_doctordaycount t
        USING (SELECT DISTINCT doctor_id, day FROM g) g
        WHERE t.doctor_id = g.doctor_id AND t.day = g.day AND {ZERO} AND t.booked_us = 0
    ),
    dy AS (
        DELETE FROM appointments_daycount t USING (SELECT DISTINCT day FROM g) g
        WHERE t.day = g.day AND {ZERO}
    ),
    hr AS (
        DELETE FROM appointments_hourcount t USING (SELECT DISTINCT day, hour FROM g) g
        WHERE t.day = g.day AND t.hour = g.hour AND {ZERO}
    ),
    dl AS (
        DELETE FROM appointments_dayleadcount t
        USING (SELECT DISTINCT day, lead_days FROM g WHERE lead_days >= 0) g
        WHERE t.day = g.day AND t.lead_days = g.lead_days AND t.bookings = 0
    )
    DELETE FROM appointments_doctorleadcount t
    USING (SELECT DISTINCT x.m, x.first, g.doctor_id, g.lead_days
           FROM g {BOTH_SPANS.format("g")}) g
    WHERE t.whole_month = g.m AND t.day = g.first AND t.doctor_id = g.doctor_id
      AND t.lead_days = g.lead_days AND {ZERO}"""


def trigger_function(name: str, body: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
DECLARE
    tz text;
BEGIN
    IF current_setting('hms.defer_summaries', true) = 'on' THEN
        RETURN NULL;  -- a bulk loader rebuilds the roll-ups once committed (reports.summaries)
    END IF;
    SELECT z.zone INTO tz FROM appointments_rollupzone z WHERE z.id = 1;
    IF tz IS NULL THEN
        RAISE EXCEPTION 'appointments_rollupzone has no row: run migrate'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
{body}
    RETURN NULL;
END
$fn$;"""


_UPDATE = (
    rows("rollup_old", -1, changed("rollup_new"))
    + "\n    UNION ALL"
    + rows("rollup_new", 1, changed("rollup_old"))
)
_DELETE = rows("rollup_old", -1)
_CLEAR = "\n".join(f"    DELETE FROM {t};" for t in TABLES)

FORWARD = f"""
{trigger_function("appointments_rollup_inserted", apply(rows("rollup_new", 1)) + ";")}
{trigger_function("appointments_rollup_updated", apply(_UPDATE) + ";" + prune(_UPDATE) + ";")}
{trigger_function("appointments_rollup_deleted", apply(_DELETE) + ";" + prune(_DELETE) + ";")}

CREATE TRIGGER appointments_rollup_insert AFTER INSERT ON appointments_appointment
    REFERENCING NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_inserted();
CREATE TRIGGER appointments_rollup_update AFTER UPDATE ON appointments_appointment
    REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_updated();
CREATE TRIGGER appointments_rollup_delete AFTER DELETE ON appointments_appointment
    REFERENCING OLD TABLE AS rollup_old
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_deleted();

-- A TRUNCATE of the appointments (the owner's flush) empties the counts with them.
CREATE FUNCTION appointments_rollup_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
BEGIN
{_CLEAR}
    RETURN NULL;
END
$fn$;
CREATE TRIGGER appointments_rollup_truncate AFTER TRUNCATE ON appointments_appointment
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_truncate();

-- Every count again from the appointments, local days in `new_zone` (a changed TIME_ZONE,
-- the migration's fill, reports.summaries.rebuild after a deferred bulk load). Writers wait
-- while it runs (SHARE lock).
CREATE FUNCTION appointments_rollup_rebuild(new_zone text) RETURNS void
    LANGUAGE plpgsql AS $fn$
DECLARE
    tz text := new_zone;
BEGIN
    PERFORM now() AT TIME ZONE tz;  -- an unknown zone fails here, before any change
    LOCK TABLE appointments_appointment IN SHARE MODE;
    INSERT INTO appointments_rollupzone (id, zone) VALUES (1, tz)
        ON CONFLICT (id) DO UPDATE SET zone = EXCLUDED.zone;
{_CLEAR}
{apply(rows("appointments_appointment", 1))};
END
$fn$;
"""

_DROP = """
DROP TRIGGER appointments_rollup_truncate ON appointments_appointment;
DROP TRIGGER appointments_rollup_delete ON appointments_appointment;
DROP TRIGGER appointments_rollup_update ON appointments_appointment;
DROP TRIGGER appointments_rollup_insert ON appointments_appointment;
DROP FUNCTION appointments_rollup_truncate();
DROP FUNCTION appointments_rollup_rebuild(text);
"""
DROP_OLD = _DROP + "DROP FUNCTION appointments_rollup_apply();"
DROP_NEW = (
    _DROP
    + """DROP FUNCTION appointments_rollup_inserted();
DROP FUNCTION appointments_rollup_updated();
DROP FUNCTION appointments_rollup_deleted();"""
)
# 0004's triggers and functions again (not its indexes, which this migration keeps).
_OLD = importlib.import_module("appointments.migrations.0004_rollups").FORWARD
CREATE_OLD = _OLD[: _OLD.index("-- The appointments report's pages")]


def fill(apps, schema_editor):
    """The roll-ups of the appointments already there, in the zone from settings."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT appointments_rollup_rebuild(%s)", [settings.TIME_ZONE])


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_rollups"),
        ("doctors", "0004_time_off_at_most_a_year"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, fill),
        migrations.RunSQL(DROP_OLD, CREATE_OLD),
        migrations.AlterField(
            model_name="doctordaycount",
            name="doctor",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="doctors.doctor",
            ),
        ),
        migrations.CreateModel(
            name="DayLeadCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("lead_days", models.IntegerField()),
                ("bookings", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "appointments per day and lead time",
                "ordering": ["day", "lead_days"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "lead_days"),
                        name="appointments_dayleadcount_day_lead_unique",
                        violation_error_message="One row per day and lead time.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DoctorLeadCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scheduled", models.IntegerField(default=0)),
                ("checked_in", models.IntegerField(default=0)),
                ("completed", models.IntegerField(default=0)),
                ("cancelled", models.IntegerField(default=0)),
                ("no_show", models.IntegerField(default=0)),
                ("whole_month", models.BooleanField()),
                ("day", models.DateField()),
                ("lead_days", models.IntegerField()),
                (
                    "doctor",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="doctors.doctor",
                    ),
                ),
            ],
            options={
                "verbose_name": "appointments per doctor, day or month, and lead time",
                "ordering": ["whole_month", "day", "doctor", "lead_days"],
            },
        ),
        migrations.CreateModel(
            name="HourCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scheduled", models.IntegerField(default=0)),
                ("checked_in", models.IntegerField(default=0)),
                ("completed", models.IntegerField(default=0)),
                ("cancelled", models.IntegerField(default=0)),
                ("no_show", models.IntegerField(default=0)),
                ("day", models.DateField()),
                ("hour", models.SmallIntegerField()),
                ("lead_count", models.IntegerField(default=0)),
                ("lead_days_sum", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "appointments per hour",
                "ordering": ["day", "hour"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "hour"),
                        name="appointments_hourcount_day_hour_unique",
                        violation_error_message="One row per day and hour.",
                    )
                ],
            },
        ),
        migrations.DeleteModel(
            name="LeadCount",
        ),
        migrations.AddConstraint(
            model_name="doctorleadcount",
            constraint=models.UniqueConstraint(
                fields=("whole_month", "day", "doctor", "lead_days"),
                name="appointments_doctorleadcount_key_unique",
                violation_error_message="One row per doctor, day or month, and lead time.",
            ),
        ),
        migrations.RunSQL(FORWARD, DROP_NEW),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
