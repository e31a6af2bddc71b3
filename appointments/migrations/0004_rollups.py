import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# The roll-ups' triggers (appointments.rollups). Statement-level AFTER triggers with transition
# tables: one upsert per touched key per statement, so a COPY of a million appointments costs
# one grouped pass, and a single booking three small upserts. Deltas (n = n + k) under
# ON CONFLICT DO UPDATE are exact under concurrency in READ COMMITTED; rows are locked in key
# order (ORDER BY) so two writers do not deadlock on them. Rows that fall to zero are removed.

# The changes of one statement as rows (doctor_id, day, hour, lead_us, status, booked_us, sign);
# %1$s: the transition table, %2$s: +1 or -1, %3$L: the zone, %4$s: extra WHERE.
ROWS = r"""
SELECT r.doctor_id,
       (r.start AT TIME ZONE %3$L)::date AS day,
       extract(hour FROM r.start AT TIME ZONE %3$L)::int AS hour,
       CASE WHEN r.legacy_id IS NULL
            THEN GREATEST((extract(epoch FROM r.start - r.created_at) * 1000000)::bigint, 0)
            ELSE -1 END AS lead_us,
       r.status,
       CASE WHEN r.status IN ('scheduled', 'checked_in', 'completed')
            THEN (extract(epoch FROM r."end" - r.start) * 1000000)::bigint ELSE 0 END
           AS booked_us,
       %2$s AS sign
FROM %1$s r WHERE %4$s
"""

# An updated row counts only when a column the roll-ups read changed.
SAME = r"""NOT EXISTS (SELECT 1 FROM %s x WHERE x.id = r.id AND x.doctor_id = r.doctor_id
    AND x.start = r.start AND x."end" = r."end" AND x.status = r.status
    AND x.created_at IS NOT DISTINCT FROM r.created_at
    AND x.legacy_id IS NOT DISTINCT FROM r.legacy_id)"""

COUNTS = """
    COALESCE(sum(sign) FILTER (WHERE status = 'scheduled'), 0),
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
STATUS_COLS = "scheduled, checked_in, completed, cancelled, no_show"

# %1$s: the deltas' SELECT (ROWS, one or two UNION ALL'd).
APPLY = f"""
WITH d AS (%1$s),
dd AS (
    INSERT INTO appointments_doctordaycount AS t (doctor_id, day, {STATUS_COLS}, booked_us)
    SELECT doctor_id, day, {COUNTS}, COALESCE(sum(sign * booked_us), 0)
    FROM d GROUP BY doctor_id, day ORDER BY doctor_id, day
    ON CONFLICT (doctor_id, day) DO UPDATE SET {ADD}, booked_us = t.booked_us + EXCLUDED.booked_us
),
dy AS (
    INSERT INTO appointments_daycount AS t (day, {STATUS_COLS})
    SELECT day, {COUNTS} FROM d GROUP BY day ORDER BY day
    ON CONFLICT (day) DO UPDATE SET {ADD}
)
INSERT INTO appointments_leadcount AS t (day, doctor_id, hour, lead_us, {STATUS_COLS})
SELECT day, doctor_id, hour, lead_us, {COUNTS}
FROM d GROUP BY day, doctor_id, hour, lead_us ORDER BY day, doctor_id, hour, lead_us
ON CONFLICT (day, doctor_id, hour, lead_us) DO UPDATE SET {ADD}
"""

PRUNE = f"""
WITH k AS (SELECT DISTINCT doctor_id, day, hour, lead_us FROM (%1$s) d WHERE sign < 0),
dd AS (
    DELETE FROM appointments_doctordaycount t USING (SELECT DISTINCT doctor_id, day FROM k) k
    WHERE t.doctor_id = k.doctor_id AND t.day = k.day AND {ZERO} AND t.booked_us = 0
),
dy AS (
    DELETE FROM appointments_daycount t USING (SELECT DISTINCT day FROM k) k
    WHERE t.day = k.day AND {ZERO}
)
DELETE FROM appointments_leadcount t USING k
WHERE t.day = k.day AND t.doctor_id = k.doctor_id AND t.hour = k.hour AND t.lead_us = k.lead_us
  AND {ZERO}
"""

FORWARD = rf"""
CREATE FUNCTION appointments_rollup_apply() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
DECLARE
    rows_sql CONSTANT text := $q${ROWS}$q$;
    same_sql CONSTANT text := $q${SAME}$q$;
    zone text;
    deltas text;
BEGIN
    SELECT z.zone INTO zone FROM appointments_rollupzone z WHERE z.id = 1;
    IF zone IS NULL THEN
        RAISE EXCEPTION 'appointments_rollupzone has no row: run migrate'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'INSERT' THEN
        deltas := format(rows_sql, 'rollup_new', '1', zone, 'TRUE');
    ELSIF TG_OP = 'DELETE' THEN
        deltas := format(rows_sql, 'rollup_old', '-1', zone, 'TRUE');
    ELSE
        deltas := format(rows_sql, 'rollup_old', '-1', zone, format(same_sql, 'rollup_new'))
            || ' UNION ALL '
            || format(rows_sql, 'rollup_new', '1', zone, format(same_sql, 'rollup_old'));
    END IF;
    EXECUTE format($q${APPLY}$q$, deltas);
    IF TG_OP <> 'INSERT' THEN
        EXECUTE format($q${PRUNE}$q$, deltas);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER appointments_rollup_insert AFTER INSERT ON appointments_appointment
    REFERENCING NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_apply();
CREATE TRIGGER appointments_rollup_update AFTER UPDATE ON appointments_appointment
    REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_apply();
CREATE TRIGGER appointments_rollup_delete AFTER DELETE ON appointments_appointment
    REFERENCING OLD TABLE AS rollup_old
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_apply();

-- A TRUNCATE of the appointments (the owner's flush) empties the counts with them.
CREATE FUNCTION appointments_rollup_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM appointments_doctordaycount;
    DELETE FROM appointments_daycount;
    DELETE FROM appointments_leadcount;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER appointments_rollup_truncate AFTER TRUNCATE ON appointments_appointment
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_rollup_truncate();

-- Every count again from the appointments, local days in `new_zone` (a changed TIME_ZONE;
-- the migration's first fill). Writers wait while it runs (SHARE lock).
CREATE FUNCTION appointments_rollup_rebuild(new_zone text) RETURNS void
    LANGUAGE plpgsql AS $fn$
DECLARE
    deltas text;
BEGIN
    PERFORM now() AT TIME ZONE new_zone;  -- an unknown zone fails here, before any change
    LOCK TABLE appointments_appointment IN SHARE MODE;
    INSERT INTO appointments_rollupzone (id, zone) VALUES (1, new_zone)
        ON CONFLICT (id) DO UPDATE SET zone = EXCLUDED.zone;
    DELETE FROM appointments_doctordaycount;
    DELETE FROM appointments_daycount;
    DELETE FROM appointments_leadcount;
    deltas := format($q${ROWS}$q$, 'appointments_appointment', '1', new_zone, 'TRUE');
    EXECUTE format($q${APPLY}$q$, deltas);
END
$fn$;

-- The appointments report's pages: keyset on (start, id), and on (doctor, start, id) for one
-- doctor (reports.selectors.appointments.appointments_report).
CREATE INDEX appt_start_id_idx ON appointments_appointment (start, id);
CREATE INDEX appt_doctor_start_id_idx ON appointments_appointment (doctor_id, start, id);
"""

BACKWARD = r"""
DROP INDEX appt_doctor_start_id_idx;
DROP INDEX appt_start_id_idx;
DROP TRIGGER appointments_rollup_truncate ON appointments_appointment;
DROP TRIGGER appointments_rollup_delete ON appointments_appointment;
DROP TRIGGER appointments_rollup_update ON appointments_appointment;
DROP TRIGGER appointments_rollup_insert ON appointments_appointment;
DROP FUNCTION appointments_rollup_truncate();
DROP FUNCTION appointments_rollup_apply();
DROP FUNCTION appointments_rollup_rebuild(text);
"""


def fill(apps, schema_editor):
    """The zone from settings, and the counts of the appointments already there."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT appointments_rollup_rebuild(%s)", [settings.TIME_ZONE])


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0003_appointment_messages"),
        ("doctors", "0004_time_off_at_most_a_year"),
    ]

    operations = [
        migrations.CreateModel(
            name="DayCount",
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
                ("day", models.DateField(unique=True)),
            ],
            options={
                "verbose_name": "appointments per day",
                "ordering": ["day"],
            },
        ),
        migrations.CreateModel(
            name="RollupZone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("zone", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "roll-up time zone",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("id", 1)),
                        name="appointments_rollupzone_one_row",
                        violation_error_message="The roll-ups have one time zone.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DoctorDayCount",
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
                (
                    "booked_us",
                    models.BigIntegerField(default=0, verbose_name="booked microseconds"),
                ),
                (
                    "doctor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="doctors.doctor",
                    ),
                ),
            ],
            options={
                "verbose_name": "appointments per doctor and day",
                "ordering": ["doctor", "day"],
                "indexes": [models.Index(fields=["day"], name="appt_rollup_doctorday_day_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("doctor", "day"),
                        name="appointments_doctordaycount_doctor_day_unique",
                        violation_error_message="One row per doctor and day.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LeadCount",
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
                ("lead_us", models.BigIntegerField(verbose_name="lead time in microseconds")),
                (
                    "doctor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="doctors.doctor",
                    ),
                ),
            ],
            options={
                "verbose_name": "appointments per doctor, hour and lead time",
                "ordering": ["day", "hour", "doctor", "lead_us"],
                "indexes": [
                    models.Index(fields=["doctor", "day"], name="appt_rollup_lead_doctor_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "doctor", "hour", "lead_us"),
                        name="appointments_leadcount_key_unique",
                        violation_error_message="One row per day, doctor, hour and lead time.",
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
