"""Loading the demo's big tables: COPY through core.bulk, generation overlapped with the
server's ingestion, and parallel loaders each with its own connection and transaction.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from psycopg import sql

from core import bulk
from demo.diaries import (
    APPOINTMENT_COLUMNS,
    ATTENDANCE_COLUMNS,
    DiaryChunk,
    doctor_diaries,
    group_sizes,
    period_diary,
    plan_pools,
)
from demo.people import (
    HISTORY_COLUMNS,
    PATIENT_COLUMNS,
    REGISTRATION_HISTORY_COLUMNS,
    patient_block,
)
from demo.plan import Calendar, Lookups, Plan
from reports import summaries

TABLES = {
    "patients": "patients_patient",
    "medical history": "patients_medicalhistory",
    "appointments": "appointments_appointment",
    "attendances": "appointments_attendance",
}


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # COPY time per table, all jobs
    phases: dict[str, float] = field(default_factory=dict)  # wall time per phase
    jobs: int = 1
    billing_cycle: int = 0  # days (demo.invoices)


class Loader:
    """What the parallel loaders share: counters, timings, id reservations, progress."""

    def __init__(self, result: Result, stdout: Callable[[str], None], expected: dict[str, int]):
        self.result = result
        self.stdout = stdout
        self.expected = expected
        self.lock = threading.Lock()
        self.failed = threading.Event()
        self.started = time.perf_counter()
        self.last_report = self.started

    def add(self, table: str, rows: int, seconds: float) -> None:
        with self.lock:
            self.result.counts[table] = self.result.counts.get(table, 0) + rows
            self.result.seconds[table] = self.result.seconds.get(table, 0.0) + seconds

    def progress(self, table: str) -> None:
        with self.lock:
            now = time.perf_counter()
            if now - self.last_report < 10:
                return
            self.last_report = now
            done = self.result.counts.get(table, 0)
            self.stdout(
                f"  ... {done:,} of ~{self.expected[table]:,} {table} ({now - self.started:.0f} s)"
            )

    def check(self) -> None:
        if self.failed.is_set():
            raise RuntimeError("Another loader failed; stopping.")

    def reserve_ids(self, cursor, table: str, n: int) -> int:
        """The first of `n` consecutive ids taken from the table's sequence.

        The lock keeps our own loaders from interleaving between nextval and setval.
        """
        with self.lock:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, n],
            )
            return cursor.fetchone()[0] - n + 1

    def copy(self, cursor, table: str, columns: tuple[str, ...], lines: Iterable[str]) -> None:
        """COPY text-format lines (each ending in a newline) into one of TABLES."""
        started = time.perf_counter()
        rows = bulk.copy_lines(cursor, TABLES[table], columns, lines)
        self.add(table, rows, time.perf_counter() - started)


def prepare_session(cursor, tables: Iterable[str] = TABLES.values()) -> list[str]:
    """Check the foreign keys of the loaded tables after each statement rather than at
    commit: deferred to commit, their queue of pending checks would hold tens of millions of
    events. Returns the constraints to defer again afterwards (all are Django's INITIALLY
    DEFERRED). Billing's money checks stay at commit, where they belong: a payment's
    trigger moves its invoice's amount paid row by row."""
    cursor.execute(
        "SELECT DISTINCT conname FROM pg_constraint WHERE contype = 'f' "
        "AND condeferrable AND condeferred AND conrelid = ANY(%s::regclass[])",
        [list(tables)],
    )
    names = sorted(row[0] for row in cursor.fetchall())
    set_constraints(cursor, names, "IMMEDIATE")
    # Only the commit of this transaction waits less; nothing is risked but the seed itself.
    cursor.execute("SET LOCAL synchronous_commit = off")
    return names


def set_constraints(cursor, names: list[str], mode: str) -> None:
    if names:
        joined = sql.SQL(", ").join(map(sql.Identifier, names))
        cursor.execute(sql.SQL("SET CONSTRAINTS {} ").format(joined) + sql.SQL(mode))


def _prefetch(items: Iterable, depth: int = 2) -> Iterator:
    """Iterate `items` computed ahead in a thread, so that generating the next chunk overlaps
    with PostgreSQL ingesting this one (psycopg releases the GIL while it waits on the socket)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
            q.put(done)
        except BaseException as exc:  # re-raised in the consumer
            q.put(exc)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def committed(commit_each: bool, tables: Iterable[str] = TABLES.values()) -> AbstractContextManager:
    """A transaction of its own for one block of rows when `commit_each`, else nothing (the
    caller's transaction holds them all)."""
    return _committed(tables) if commit_each else nullcontext()


@contextmanager
def _committed(tables: Iterable[str]) -> Iterator[None]:
    """A bulk loader's transaction: foreign keys checked as it goes, the summaries left to
    one `reports.summaries.rebuild()` once everything is committed (their triggers would
    otherwise re-price every patient a block touches and update the same few rows of totals
    for every row, making a big seed take hours: demo.generator)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            prepare_session(cursor, tables)
        summaries.defer()
        yield


def load_patients(
    loader: Loader, plan: Plan, cal: Calendar, look: Lookups, blocks, *, commit_each: bool = False
) -> None:
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for patients, history in _prefetch(patient_block(plan, cal, look, b) for b in blocks):
            loader.check()
            with committed(commit_each):
                loader.copy(cursor, "patients", PATIENT_COLUMNS, patients)
                loader.copy(cursor, "medical history", REGISTRATION_HISTORY_COLUMNS, history)
            loader.progress("patients")


class Periods:
    """Generates periods of appointments, the first ones in the background from the start.

    The patient pools and the first period of each loader are worked out while the patients
    are being loaded (Python is mostly idle then), so the database does not wait for them.
    """

    def __init__(self, plan: Plan, cal: Calendar, look: Lookups, first: list[int]):
        self.plan, self.cal, self.look = plan, cal, look
        self.ready: dict[int, DiaryChunk] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._warm, args=(first,), daemon=True)
        self.thread.start()

    def _warm(self, first: list[int]) -> None:
        try:
            self.pools = plan_pools(self.plan, group_sizes(self.plan.doctor_specs))
            self.diaries = doctor_diaries(self.plan, self.look)
            for period in first:
                self.ready[period] = self._make(period)
        except BaseException as exc:  # re-raised by get()
            self.error = exc

    def _make(self, period: int) -> DiaryChunk:
        return period_diary(self.plan, self.cal, self.look, self.pools, self.diaries, period)

    def get(self, period: int) -> DiaryChunk:
        self.thread.join()
        if self.error is not None:
            raise self.error
        chunk = self.ready.pop(period, None)
        return chunk if chunk is not None else self._make(period)


def load_diaries(
    loader: Loader, periods: Periods, mine: list[int], *, commit_each: bool = False
) -> None:
    chunks = (periods.get(p) for p in mine)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for chunk in _prefetch(chunks, depth=1):  # a period can be a few hundred MB
            loader.check()
            if not chunk.appointments:
                continue
            with committed(commit_each):
                _load_period(loader, cursor, chunk)
            loader.progress("appointments")


def _load_period(loader: Loader, cursor, chunk: DiaryChunk) -> None:
    """One period's appointments, their visits and what was given at them, ids reserved."""
    first = loader.reserve_ids(cursor, TABLES["appointments"], len(chunk.appointments))
    loader.copy(
        cursor,
        "appointments",
        APPOINTMENT_COLUMNS,
        (f"{first + i}\t{line}" for i, line in enumerate(chunk.appointments)),
    )
    if chunk.attendances:
        visit = loader.reserve_ids(cursor, TABLES["attendances"], len(chunk.attendances))
        loader.copy(
            cursor,
            "attendances",
            ATTENDANCE_COLUMNS,
            (
                f"{visit + i}\t{first + pos}\t{rest}"
                for i, (pos, rest) in enumerate(chunk.attendances)
            ),
        )
        loader.copy(
            cursor,
            "medical history",
            ("attendance_id", *HISTORY_COLUMNS, "quantity"),
            (f"{visit + pos}\t{rest}" for pos, rest in chunk.history),
        )


def in_parallel(loader: Loader, jobs: list[Callable[[], None]]) -> None:
    """Run each job in its own thread, database connection and transaction."""
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            with transaction.atomic():
                prepare_session(connection.cursor())
                # Parallel transactions over the same patients: the report summaries are
                # rebuilt once all are committed (seed), not locked row by row.
                summaries.defer()
                job()
        except BaseException as exc:
            loader.failed.set()
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
