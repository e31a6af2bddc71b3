"""The application's own database login cannot rewrite what the rules keep.

The suite runs as the application's role (DATABASE_URL; `hms_app` on the embedded server),
the role a stolen password or a bad line of code would have. It owns nothing: every attempt
below to empty, unguard or rewrite the audit log, an issued invoice, a payment or a history
revision is refused by PostgreSQL, whatever the code asks for.
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError, ProgrammingError, connection, transaction

from billing.services import payment_record
from core.audit import audit_record
from core.models import AuditEvent
from hms import dbroles
from hms.dbroles import app_role, as_owner, owner_of
from patients.models import MedicalHistory, MedicalHistoryRevision
from tests.billing.factories import issued, medication, visit
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PERMISSION_DENIED = "42501"  # insufficient_privilege: no privilege, or not the owner
RULE_REFUSED = "23000"  # integrity_constraint_violation, raised by the invoice triggers


@pytest.fixture
def kept(admin_user):
    """One of each record the rules keep: an audit row, an issued invoice with a payment, a
    medical-history entry corrected once (so it has a revision)."""
    patient = PatientFactory()
    visit(patient, fee="120.00")
    entry = medication(patient, "Amoxicillin 500 mg")
    MedicalHistory.objects.filter(pk=entry.pk).update(description="Amoxicillin 250 mg")
    invoice = issued(patient, by=admin_user)
    payment_record(invoice=invoice, amount=Decimal("20.00"), method="cash", by=admin_user)
    audit_record(actor=admin_user, action=AuditEvent.Action.VIEW, obj=patient)
    return {"invoice": invoice, "entry": entry}


def refused(sql: str, params=()) -> tuple[str, str]:
    """Run `sql` as the application; return PostgreSQL's error code and message."""
    with pytest.raises(DatabaseError) as excinfo:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    cause = excinfo.value.__cause__
    return cause.sqlstate, str(cause)


def test_the_tests_run_as_an_application_role_that_owns_nothing():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        )
        user, superuser, createrole, bypassrls = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
            "AND n.nspname = 'public'"
        )
        owned = cursor.fetchone()[0]
        owner = owner_of(connection)
        assert owner is not None, (
            "The suite needs two roles: set DATABASE_OWNER_URL (the owner) beside DATABASE_URL "
            "(the application's login); see the README's production steps."
        )
        cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [owner["USER"]])
        member_of_owner = cursor.fetchone()[0]

    assert user == app_role(connection)
    assert (superuser, createrole, bypassrls, member_of_owner) == (False, False, False, False)
    assert owned == 0


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE core_auditevent",
        "TRUNCATE billing_invoice CASCADE",
        "TRUNCATE billing_payment",
        "TRUNCATE patients_medicalhistoryrevision",
        "ALTER TABLE core_auditevent DISABLE TRIGGER USER",
        "ALTER TABLE billing_invoice DISABLE TRIGGER USER",
        "ALTER TABLE billing_invoiceline DISABLE TRIGGER ALL",
        "DROP TRIGGER hms_auditevent_append_only ON core_auditevent",
        "DROP TRIGGER core_auditevent_chain ON core_auditevent",
        "DROP TRIGGER billing_invoice_immutable ON billing_invoice",
        "DROP FUNCTION billing_invoice_guard() CASCADE",
        "CREATE OR REPLACE FUNCTION billing_invoice_guard() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "ALTER TABLE core_auditevent DROP COLUMN row_hash",
        "DROP TABLE core_auditevent",
        "SET session_replication_role = replica",
        "UPDATE core_auditevent SET path = '/rewritten'",
        "DELETE FROM core_auditevent",
        "UPDATE billing_payment SET amount = 1",
        "DELETE FROM billing_payment",
        "UPDATE patients_medicalhistoryrevision SET description = 'rewritten'",
        "DELETE FROM patients_medicalhistoryrevision",
        "UPDATE django_migrations SET name = 'x'",
        "CREATE TABLE public.shadow (id integer)",
        "CREATE TRIGGER t BEFORE UPDATE ON billing_invoice "
        "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    ],
)
def test_the_application_role_cannot_empty_unguard_or_rewrite_a_kept_record(kept, sql):
    before = _fingerprint()

    code, message = refused(sql)

    assert code == PERMISSION_DENIED, message
    assert _fingerprint() == before


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        (
            "UPDATE billing_invoice SET total = 1 WHERE id = %s",
            "an issued invoice cannot be changed",
        ),
        ("DELETE FROM billing_invoice WHERE id = %s", "an issued invoice cannot be deleted"),
        (
            "UPDATE billing_invoiceline SET amount = 1 WHERE invoice_id = %s",
            "its lines cannot be changed",
        ),
    ],
)
def test_an_issued_invoice_holds_against_the_application_role(kept, sql, says):
    before = _fingerprint()

    code, message = refused(sql, [kept["invoice"].pk])

    assert code == RULE_REFUSED and says in message
    assert _fingerprint() == before


def test_the_application_role_still_does_its_daily_work(kept, admin_user):
    """What it may do, it does: write audit rows, correct an entry (a revision is kept)."""
    entry = kept["entry"]
    revisions = MedicalHistoryRevision.objects.filter(entry=entry).count()

    MedicalHistory.objects.filter(pk=entry.pk).update(description="Amoxicillin 125 mg")
    audit_record(actor=admin_user, action=AuditEvent.Action.VIEW, obj=entry.patient)

    assert MedicalHistoryRevision.objects.filter(entry=entry).count() == revisions + 1


def _fingerprint() -> tuple:
    """What a tamperer would change: every kept table's rows, as text."""
    tables = (
        "core_auditevent",
        "billing_invoice",
        "billing_invoiceline",
        "billing_payment",
        "patients_medicalhistoryrevision",
    )
    with connection.cursor() as cursor:
        found = []
        for table in tables:
            cursor.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t")
            found.append(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        found.append(cursor.fetchone()[0])
    return tuple(found)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("UPDATE core_auditevent SET path = '/rewritten'", "audit events are append-only"),
        ("DELETE FROM core_auditevent", "audit events are append-only"),
        ("UPDATE billing_payment SET amount = 1", "payments are never changed or deleted"),
        ("DELETE FROM billing_payment", "payments are never changed or deleted"),
        (
            "UPDATE patients_medicalhistoryrevision SET description = 'x'",
            "medical history revisions are append-only",
        ),
        ("UPDATE billing_invoice SET total = 1", "an issued invoice cannot be changed"),
    ],
)
def test_the_rules_hold_against_the_owner_too_while_its_triggers_are_on(kept, sql, says):
    """Defence in depth: a migration or an administrator's psql session as the owner meets
    the triggers (only an owner who switches them off gets past, and `audit_verify` then
    names the audit row changed)."""
    before = _fingerprint()

    with as_owner(connection):
        code, message = refused(sql)

    assert code in (RULE_REFUSED, PERMISSION_DENIED) and says in message
    assert _fingerprint() == before


@pytest.mark.parametrize("table", dbroles.SUMMARY_TABLES)
def test_the_application_role_reads_the_kept_sums_and_cannot_write_them(table):
    """The reports' sums are the database's: written only by its own functions, as the owner."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) >= 0 FROM {table}")
        assert cursor.fetchone()[0]
        for statement in (
            f"DELETE FROM {table}",
            f"UPDATE {table} SET {_first_column(table)} = NULL",
        ):
            with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)


def _first_column(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " ORDER BY ordinal_position LIMIT 1",
            [table],
        )
        return cursor.fetchone()[0]


def test_the_functions_that_keep_the_sums_run_as_the_owner():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, p.prosecdef FROM pg_proc p JOIN pg_namespace n"
            " ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname ~ %s",
            [dbroles.SUMMARY_WRITERS],
        )
        writers = dict(cursor.fetchall())
    assert {"billing_bill_compute", "billing_bill_rebuild", "reports_rebuild_summaries"} <= set(
        writers
    )
    assert all(writers.values()), [name for name, definer in writers.items() if not definer]
