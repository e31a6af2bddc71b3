"""The audit log's hash chain and `manage.py audit_verify`: rows written any way verify; a row
changed, removed or re-hashed behind the application's back is named."""

import datetime
import hashlib
import io
import json
import logging
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from core.audit import AuditEntry, audit_record, audit_record_many, batch, chain_head
from core.audit_chain import GENESIS, ChainHead
from core.bulk import copy_rows
from core.models import AuditEvent
from hms.dbroles import as_owner
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def write(count: int, *, by=None) -> list[AuditEvent]:
    """`count` audit rows, one INSERT each, as services write them."""
    patient = PatientFactory()
    return [
        audit_record(actor=by, action=Action.VIEW, obj=patient, changes={"n": n})
        for n in range(count)
    ]


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def broken(*args: str) -> str:
    with pytest.raises(CommandError) as excinfo:
        verify(*args)
    return str(excinfo.value)


# Tests that change rows behind the application's back log in as the owner role for it, so
# the rows they change must be committed: they run outside the test's transaction.
tampering = pytest.mark.django_db(transaction=True)


def behind_the_apps_back(sql: str, params: list | tuple = ()) -> None:
    """Run `sql` as the table's owner with its triggers off, as an intruder with the owner's
    login (or a superuser) could: the append-only trigger does not stop them. The
    application's own login cannot (tests/hms/test_db_roles.py)."""
    with as_owner(connection), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")


def rehash(event_id: int, *, prev_hash: str | None = None) -> None:
    """Recompute a row's hash by hand with the database's own function (after an edit)."""
    behind_the_apps_back(
        "UPDATE core_auditevent e SET prev_hash = coalesce(%s, e.prev_hash) WHERE id = %s",
        [prev_hash, event_id],
    )
    behind_the_apps_back(
        "UPDATE core_auditevent e SET row_hash = core_auditevent_row_hash(e) WHERE id = %s",
        [event_id],
    )


def stored(event: AuditEvent) -> AuditEvent:
    return AuditEvent.objects.get(pk=event.pk)


def test_it_chains_rows_written_one_by_one_in_bulk_and_in_a_batch(admin_user):
    patient = PatientFactory()
    audit_record(actor=admin_user, action=Action.VIEW, obj=patient)
    audit_record_many(
        actor=admin_user,
        entries=[AuditEntry(action=Action.UPDATE, obj=patient), AuditEntry(Action.VIEW)],
    )
    with batch():
        audit_record(actor=admin_user, action=Action.CREATE, obj=patient)
        audit_record(actor=None, action=Action.EXPORT)

    rows = list(AuditEvent.objects.order_by("chain_seq"))
    assert [r.chain_seq for r in rows] == [1, 2, 3, 4, 5]
    assert [r.prev_hash for r in rows] == [GENESIS] + [r.row_hash for r in rows[:-1]]
    assert len({r.row_hash for r in rows}) == 5
    assert chain_head() == ChainHead(5, rows[-1].row_hash)
    head = f"Audit chain intact: 5 rows checked. Chain head: 5:{rows[-1].row_hash} "
    assert verify().startswith(head)


def test_it_prints_and_logs_the_head_of_an_intact_chain(caplog):
    events = write(3)
    head = stored(events[-1])

    with caplog.at_level(logging.INFO, logger="core.audit_chain"):
        output = verify()

    assert output.startswith(f"Audit chain intact: 3 rows checked. Chain head: 3:{head.row_hash}")
    assert f"3:{head.row_hash}" in caplog.text
    assert verify("--expect-head", f"3:{head.row_hash}").startswith("Audit chain intact")


def test_it_gives_the_saved_event_its_place_and_hash_from_the_database():
    (event,) = write(1)
    assert (event.chain_seq, event.prev_hash) == (1, GENESIS)
    assert event.row_hash == stored(event).row_hash and len(event.row_hash) == 64


def test_it_hashes_the_documented_text_of_the_row(admin_user):
    """core/audit_chain.py's formula, worked in Python: an auditor can recompute it."""
    patient = PatientFactory()
    event = stored(
        audit_record(actor=admin_user, action=Action.UPDATE, obj=patient, changes={"é": "ü"})
    )

    def utc(moment: datetime.datetime) -> str:
        return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    text = json.dumps(
        [
            event.pk,
            1,
            utc(event.created_at),
            utc(event.updated_at),
            admin_user.pk,
            "admin",
            "update",
            "patients.patient",
            str(patient.pk),
            str(patient),
            patient.pk,
            {"é": "ü"},
            None,
            "",
        ],
        ensure_ascii=False,
    )
    expected = hashlib.sha256(f"{GENESIS}\n{text}".encode()).hexdigest()
    assert event.row_hash == expected


def test_it_overwrites_whatever_a_writer_sends_for_the_chain():
    write(1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (created_at, updated_at, actor_username, action,"
            " object_type, object_id, object_repr, changes, path, chain_seq, prev_hash,"
            " row_hash) VALUES (now(), now(), 'x', 'view', '', '', '', '{}', '', 99, %s, %s)"
            " RETURNING chain_seq, prev_hash, row_hash",
            [GENESIS, "f" * 64],
        )
        seq, prev_hash, row_hash = cursor.fetchone()
    assert (seq, prev_hash) == (2, AuditEvent.objects.get(chain_seq=1).row_hash)
    assert row_hash != "f" * 64
    assert verify().startswith("Audit chain intact: 2 rows checked")


def test_it_chains_rows_loaded_with_copy():
    write(1)
    columns = ["created_at", "updated_at", "actor_username", "action", "object_type"]
    columns += ["object_id", "object_repr", "changes", "path"]
    now = datetime.datetime.now(datetime.UTC)
    rows = [(now, now, "loader", "create", "", "", "", json.dumps({"n": n}), "") for n in range(50)]
    with connection.cursor() as cursor:
        copy_rows(cursor.cursor, "core_auditevent", columns, rows)

    assert list(AuditEvent.objects.order_by("chain_seq").values_list("chain_seq", flat=True)) == (
        list(range(1, 52))
    )
    assert verify().startswith("Audit chain intact: 51 rows checked")


@tampering
def test_it_names_a_row_changed_even_by_the_tables_owner():
    events = write(4)
    edited = events[1]
    behind_the_apps_back(
        "UPDATE core_auditevent SET actor_username = 'nobody' WHERE id = %s", [edited.pk]
    )

    message = broken()

    assert f"Audit chain broken at id {edited.pk} (position 2, written " in message
    assert "its content does not match its hash" in message
    assert "changed after it was written" in message


@tampering
def test_it_names_the_time_of_the_broken_row_in_the_hospitals_zone(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    events = write(2)
    behind_the_apps_back("UPDATE core_auditevent SET path = '/x' WHERE id = %s", [events[0].pk])
    written = stored(events[0]).created_at.astimezone(ZoneInfo("Asia/Kolkata"))

    assert f"(position 1, written {written.isoformat(timespec='seconds')}):" in broken()
    assert written.isoformat().endswith("+05:30")


@tampering
def test_it_names_the_gap_a_row_removed_from_the_middle_leaves():
    events = write(5)
    behind_the_apps_back("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])

    message = broken()

    assert f"broken at id {events[3].pk} (position 4" in message
    assert f"position 3 is missing after id {events[1].pk} (position 2): rows were removed" in (
        message
    )


@tampering
def test_it_notices_when_the_oldest_rows_were_removed():
    events = write(4)
    behind_the_apps_back(
        "DELETE FROM core_auditevent WHERE id IN (%s, %s)", [events[0].pk, events[1].pk]
    )

    assert "the chain starts at position 3: positions 1 to 2 are missing" in broken()


@tampering
def test_it_names_the_next_row_when_a_changed_row_was_re_hashed_by_hand():
    events = write(4)
    behind_the_apps_back(
        "UPDATE core_auditevent SET object_repr = 'someone else' WHERE id = %s", [events[1].pk]
    )
    rehash(events[1].pk)

    message = broken()

    assert f"broken at id {events[2].pk} (position 3" in message
    assert f"is not the hash of the row before it (id {events[1].pk}, position 2" in message
    assert "re-hashed after the fact" in message


@tampering
def test_it_needs_an_earlier_head_to_catch_a_chain_recomputed_after_a_change():
    events = write(5)
    kept = chain_head()  # e.g. yesterday's log line or last night's backup manifest
    events += write(2)
    behind_the_apps_back(
        "UPDATE core_auditevent SET object_repr = 'someone else' WHERE id = %s", [events[1].pk]
    )
    # The intruder re-hashes every row from the changed one on, each on its predecessor.
    previous = AuditEvent.objects.get(chain_seq=1).row_hash
    for event in AuditEvent.objects.filter(chain_seq__gte=2).order_by("chain_seq"):
        rehash(event.pk, prev_hash=previous)
        previous = stored(event).row_hash

    assert verify().startswith("Audit chain intact: 7 rows checked")  # on its own
    message = broken("--expect-head", str(kept))
    assert f"the row at position 5 now has hash {stored(events[4]).row_hash[:12]}" in message
    assert f"not the expected {kept.hash[:12]}" in message


@tampering
def test_it_needs_an_earlier_head_to_catch_the_newest_rows_removed():
    events = write(5)
    kept = chain_head()
    behind_the_apps_back(
        "DELETE FROM core_auditevent WHERE id IN (%s, %s)", [events[3].pk, events[4].pk]
    )

    assert verify().startswith("Audit chain intact: 3 rows checked")
    assert "the expected head 5 is past the chain's end (position 3)" in broken(
        "--expect-head", str(kept)
    )


def test_it_reports_an_empty_log_as_intact():
    assert verify() == "Audit chain intact: the log is empty.\n"
    assert chain_head() is None


def test_it_refuses_a_head_that_is_not_position_and_hash():
    with pytest.raises(CommandError, match="not a chain head"):
        verify("--expect-head", "12:abc")


def test_it_chains_the_rows_written_before_the_upgrade_in_id_order(migrating):
    executor = migrating
    executor.migrate([("core", "0001_initial")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (created_at, updated_at, actor_username, action,"
            " object_type, object_id, object_repr, changes, path)"
            " SELECT now(), now(), 'admin', 'view', '', '', 'old ' || n, '{}', ''"
            " FROM generate_series(1, 3) n RETURNING id"
        )
        ids = sorted(row[0] for row in cursor.fetchall())

    executor.loader.build_graph()
    executor.migrate([("core", "0002_auditevent_hash_chain")])

    chain = list(AuditEvent.objects.order_by("chain_seq").values_list("id", "chain_seq"))
    assert chain == [(ids[0], 1), (ids[1], 2), (ids[2], 3)]
    assert verify().startswith("Audit chain intact: 3 rows checked")
    (newer,) = write(1)
    assert (newer.chain_seq, newer.prev_hash) == (4, stored(AuditEvent(pk=ids[2])).row_hash)
