"""Writers at the same moment keep one unbroken audit chain. Each thread has its own database
connection and commits, so these tests run with `transaction=True`."""

import threading

import pytest
from django.db import transaction

from core.audit import AuditEntry, audit_record, audit_record_many
from core.audit_chain import chain_verify
from core.models import AuditEvent
from tests.billing.test_concurrency import wait_until_another_connection_waits_on_this_one
from tests.concurrency import run_concurrently, together

pytestmark = pytest.mark.django_db(transaction=True)

Action = AuditEvent.Action


def positions() -> list[int]:
    return list(AuditEvent.objects.order_by("chain_seq").values_list("chain_seq", flat=True))


def test_it_keeps_one_chain_when_many_writers_insert_at_once():
    def writer(n: int) -> None:
        for round_ in range(15):
            with transaction.atomic():
                audit_record(actor=None, action=Action.VIEW, changes={"w": n, "r": round_})
                audit_record_many(
                    actor=None,
                    entries=[AuditEntry(Action.UPDATE, changes={"w": n}), AuditEntry(Action.VIEW)],
                )

    _, errors = run_concurrently(8, writer)

    assert errors == []
    assert positions() == list(range(1, 8 * 15 * 3 + 1))
    check = chain_verify()
    assert check.intact and check.rows == 360, check


def test_it_orders_the_chain_by_commit_not_by_id():
    """Ids come from a sequence when the INSERT starts; the chain's place is given under the
    lock, so a row that waited for it comes after rows with higher ids."""
    holding = threading.Event()
    ids: dict[str, int] = {}

    def first() -> None:
        with transaction.atomic():
            ids["first"] = audit_record(actor=None, action=Action.VIEW).pk
            holding.set()
            wait_until_another_connection_waits_on_this_one()
            ids["first again"] = audit_record(actor=None, action=Action.VIEW).pk

    def second() -> None:
        assert holding.wait(timeout=30)
        ids["second"] = audit_record(actor=None, action=Action.VIEW).pk

    assert together([first, second]) == [None, None]
    assert ids["first"] < ids["second"] < ids["first again"]
    chain = list(AuditEvent.objects.order_by("chain_seq").values_list("id", flat=True))
    assert chain == [ids["first"], ids["first again"], ids["second"]]
    assert chain_verify().intact


def test_it_leaves_no_gap_when_a_writer_rolls_back():
    holding = threading.Event()

    class Abandon(Exception):
        pass

    def abandoned() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action=Action.VIEW, changes={"kept": False})
                holding.set()
                wait_until_another_connection_waits_on_this_one()
                raise Abandon
        except Abandon:
            return None

    def waiting() -> int:
        assert holding.wait(timeout=30)
        return audit_record(actor=None, action=Action.VIEW, changes={"kept": True}).chain_seq

    assert together([abandoned, waiting]) == [None, 1]
    assert list(AuditEvent.objects.values_list("chain_seq", "changes")) == [(1, {"kept": True})]
    assert chain_verify().intact
