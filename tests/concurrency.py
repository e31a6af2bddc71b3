"""Running work in real threads, each with its own database connection, released together."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def together(calls: list[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Run the callables at once (released by a barrier); return each one's result, or the
    exception it raised, in the callables' order. Fails if a thread hangs."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def run_concurrently(count: int, work: Callable[[int], Any]) -> tuple[list, list[Exception]]:
    """Run `work(i)` for i in range(count) at once; return (results, errors)."""
    outcomes = together([lambda i=i: work(i) for i in range(count)])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    return [o for o in outcomes if not isinstance(o, Exception)], errors


def waiting_on_a_lock() -> bool:
    """Some connection to the test database waits for a lock (another test thread's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
