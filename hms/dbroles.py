"""Two database roles: an owner that migrates, and the application's login that owns nothing.

The application connects as `DATABASE_URL`'s role. That role owns no table, so it cannot
`ALTER TABLE … DISABLE TRIGGER`, drop a trigger or truncate; it holds only the privileges
`grant_app_privileges` gives it, table by table: no UPDATE or DELETE where the rules say a row
is never changed (the audit log, medical-history revisions, payments), only SELECT on Django's
record of migrations. The rules on issued invoices are triggers the role cannot switch off.

`DATABASE_OWNER_URL`'s role owns the schema. Only the commands that change the schema or
replace the data take it, for as long as they run (`as_owner`): `migrate` (which grants the
privileges again at its end), `flush`, `restore`, and the test database's creation and
removal. A web or job process never needs the owner's password. Without `DATABASE_OWNER_URL`
one role does everything (a developer's own server) and no privileges are granted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper

# The rows these models hold are never changed or removed once written.
APPEND_ONLY = (
    ("core", "AuditEvent"),
    ("patients", "MedicalHistoryRevision"),
    ("billing", "Payment"),
    ("billing", "CreditNote"),
    ("billing", "Refund"),
    ("billing", "AccountEntry"),
    ("billing", "CashierDayClose"),
    ("clinical", "VitalsReading"),  # a reading is recorded, never edited or taken back
)
# The sums and counts the database keeps by triggers for the reports and lists (issue 14).
# The application reads them and cannot write them: only the functions that keep them do,
# run as the owner (SUMMARY_WRITERS, made SECURITY DEFINER with a fixed search_path here).
SUMMARY_TABLES = (
    "billing_patientbill",
    "billing_billtotalsshard",
    "billing_invoice_tally",
    "billing_invoice_rollup",
    "billing_revenue_day",
    "billing_summary_zone",
    "reports_patienthealthsummary",
    "reports_demographiccount",
    "reports_demographicmonthcount",
    "appointments_doctordaycount",
    "appointments_daycount",
    "appointments_hourcount",
    "appointments_dayleadcount",
    "appointments_doctorleadcount",
    "appointments_rollupzone",
)
# The trigger functions and rebuilds that write them (by name; the pattern is PostgreSQL's).
SUMMARY_WRITERS = (
    "^(billing_bill_|billing_[a-z_]*(summar|tally|revenue)|appointments_rollup_"
    "|reports_(history|medication|patients|rebuild|refresh)_)"
)
# Tables the application reads and never writes (the ICD-10-CM code set: loaded by migrations).
READ_ONLY = ("django_migrations", "patients_icd10code", *SUMMARY_TABLES)


def owner_of(connection: BaseDatabaseWrapper) -> dict[str, str] | None:
    """The owner's USER and PASSWORD when it is another role than the application's."""
    owner = connection.settings_dict.get("OWNER")
    if not owner or owner.get("USER") == app_role(connection):
        return None
    return owner


def app_role(connection: BaseDatabaseWrapper) -> str:
    """The application's role, also while `as_owner` has the connection."""
    return connection.settings_dict.get("APP_USER") or connection.settings_dict["USER"]


@contextmanager
def as_owner(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Run the block on a connection logged in as the owner (a no-op with one role).

    The connection is closed before and after, so the block gets a session of its own; it
    cannot start inside a transaction, whose work would be lost with its session. The other
    threads' connections keep the application's role: the owner's login lives in a copy of
    the settings that only this connection object sees.
    """
    owner = owner_of(connection)
    if owner is None or connection.settings_dict.get("APP_USER"):
        yield  # one role, or the owner already
        return
    if connection.in_atomic_block:
        raise RuntimeError("The owner's login cannot be taken inside a transaction.")
    shared = connection.settings_dict
    connection.close()
    connection.settings_dict = {
        **shared,
        "USER": owner["USER"],
        "PASSWORD": owner.get("PASSWORD", ""),
        "APP_USER": shared["USER"],
    }
    try:
        yield
    finally:
        connection.close()
        # Django moves the test database's NAME in both dictionaries; keep what it set.
        shared["NAME"] = connection.settings_dict["NAME"]
        connection.settings_dict = shared


def _own_summary_writers(cursor) -> None:
    """The functions that write the summaries run as their owner (a CREATE OR REPLACE in a
    later migration makes one an invoker again: this runs after every migrate)."""
    # No parameters: the text goes to the server as it is (format's %s included).
    cursor.execute(
        """
        DO $$
        DECLARE
            f regprocedure;
        BEGIN
            FOR f IN
                SELECT p.oid::regprocedure FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prokind = 'f'
                  AND pg_get_userbyid(p.proowner) = current_user
                  AND p.proname ~ 'PATTERN'
            LOOP
                EXECUTE format(
                    'ALTER FUNCTION %s SECURITY DEFINER SET search_path = public, pg_temp', f);
            END LOOP;
        END $$
        """.replace("PATTERN", SUMMARY_WRITERS)
    )


def grant_app_privileges(connection: BaseDatabaseWrapper) -> str | None:
    """Give the application's role exactly its privileges on every table and sequence.

    Run as the owner (by `migrate` and `restore`), after the schema changed; a table created
    since the last run gets its privileges here. Returns the role granted to, or None with
    one role.
    """
    if owner_of(connection) is None:
        return None
    role = app_role(connection)
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [role])
        if cursor.fetchone()[0]:
            # PostgreSQL < 15 lets every role create tables in `public`.
            cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            cursor.execute(f"REVOKE CREATE ON SCHEMA public FROM {quoted}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        for app_label, model_name in APPEND_ONLY:
            table = connection.ops.quote_name(apps.get_model(app_label, model_name)._meta.db_table)
            cursor.execute(f"REVOKE UPDATE, DELETE ON {table} FROM {quoted}")
        for table in READ_ONLY:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            if cursor.fetchone()[0]:  # a migration back may have removed it
                cursor.execute(
                    f"REVOKE INSERT, UPDATE, DELETE ON {connection.ops.quote_name(table)} "
                    f"FROM {quoted}"
                )
        _own_summary_writers(cursor)
        # nextval for new rows; setval for the bulk loaders that reserve a range of ids.
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    return role
