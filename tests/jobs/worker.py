"""Running queued jobs in a test, with a real worker on the real database."""

from __future__ import annotations

import threading

from django.db import connections

from jobs import app as project_app


def run_worker(app=None, **options) -> None:
    """Run every queued job once with a procrastinate worker, then return.

    The worker runs in a thread of its own, with its own database connection (so the test
    must be transactional: the worker sees committed rows only), and its own event loop: a
    browser test's Playwright may have left one running in the main thread, where
    `asyncio.run` refuses to start another.
    """
    app = app or project_app
    failed: list[BaseException] = []

    def work() -> None:
        try:
            with app.replace_connector(app.connector.get_worker_connector()):
                app.run_worker(
                    wait=False, install_signal_handlers=False, listen_notify=False, **options
                )
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            failed.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="test-worker")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
