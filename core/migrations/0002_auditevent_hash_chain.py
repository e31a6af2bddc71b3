# The audit log becomes tamper-evident: each row carries its place in one chain (`chain_seq`),
# the previous row's hash (`prev_hash`) and its own hash (`row_hash`), the SHA-256 of the
# previous hash and of a canonical text of the row. A BEFORE INSERT trigger fills the three
# columns, so every writer (an ORM insert, a multi-row INSERT, COPY) goes through it, and
# whatever a client sends for them is overwritten.
#
# One order for concurrent writers: the trigger takes a transaction-level advisory lock before
# it reads the last row of the chain, so a second writer waits until the first one's
# transaction has committed (or rolled back) and then sees its rows. Ids come from a sequence
# and may commit out of order; the chain's order is `chain_seq`, assigned under the lock, and
# has no gaps. The cost: transactions that write audit rows commit one after another from
# their first audit insert on, so services write their audit rows last (core.audit.batch).
# In READ COMMITTED (Django's default) each statement of the trigger takes a new snapshot, so
# the row read after the lock is the newest committed one; a REPEATABLE READ transaction
# could see an older last row, and then the unique constraint on chain_seq refuses its insert
# instead of forking the chain.
#
# The canonical text (a JSON array, times in UTC with microseconds; jsonb's text output is the
# same on every PostgreSQL version) is written out again in core/audit_chain.py, which
# `manage.py audit_verify` recomputes without calling these functions: a check should not
# trust code stored in the database it checks. Change both together, in a new migration.
#
# Existing rows (the upgrade path) are chained in id order, with the append-only trigger
# switched off for that one UPDATE inside this migration's transaction.

from django.db import migrations, models

CHAIN = r"""
CREATE FUNCTION core_auditevent_row_hash(r core_auditevent) RETURNS text
    LANGUAGE sql STABLE AS $$
SELECT encode(sha256(convert_to(
    r.prev_hash || E'\n' || jsonb_build_array(
        r.id,
        r.chain_seq,
        to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        r.actor_id,
        r.actor_username,
        r.action,
        r.object_type,
        r.object_id,
        r.object_repr,
        r.patient_id,
        r.changes,
        r.ip_address::text,
        r.path
    )::text,
    'UTF8')), 'hex')
$$;

CREATE FUNCTION core_auditevent_chain() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- 2821570353 = zlib.crc32(b"core.auditevent.chain"): one writer extends the chain at a
    -- time, until its transaction ends.
    PERFORM pg_advisory_xact_lock(2821570353);
    SELECT chain_seq, row_hash INTO last_seq, last_hash
        FROM core_auditevent ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.row_hash := core_auditevent_row_hash(NEW);
    RETURN NEW;
END
$$;

DO $$
DECLARE
    r core_auditevent;
    n bigint := 0;
    previous text := repeat('0', 64);
BEGIN
    ALTER TABLE core_auditevent DISABLE TRIGGER hms_auditevent_append_only;
    FOR r IN SELECT * FROM core_auditevent ORDER BY id LOOP
        n := n + 1;
        r.chain_seq := n;
        r.prev_hash := previous;
        previous := core_auditevent_row_hash(r);
        UPDATE core_auditevent
            SET chain_seq = n, prev_hash = r.prev_hash, row_hash = previous
            WHERE id = r.id;
    END LOOP;
    ALTER TABLE core_auditevent ENABLE TRIGGER hms_auditevent_append_only;
END
$$;

CREATE TRIGGER core_auditevent_chain
    BEFORE INSERT ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_chain();
"""

UNCHAIN = """
DROP TRIGGER IF EXISTS core_auditevent_chain ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_chain();
DROP FUNCTION IF EXISTS core_auditevent_row_hash(core_auditevent);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(
                db_default=0, editable=False, verbose_name="chain position"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                db_default="", editable=False, max_length=64, verbose_name="previous hash"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(
                db_default="", editable=False, max_length=64, verbose_name="hash"
            ),
        ),
        migrations.RunSQL(CHAIN, UNCHAIN),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain_seq",),
                name="core_auditevent_chain_seq_unique",
                violation_error_message="Two audit events hold the same place in the chain.",
            ),
        ),
    ]
