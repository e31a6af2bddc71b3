"""A task for the engine's own tests, loaded only by the worker processes they start
(probe_settings): it writes which job ran in which process."""

from __future__ import annotations

import os
import time

from jobs import app


@app.task(name="tests.probe", queue="probe", pass_context=True)
def probe(context, *, n: int) -> None:
    with open(os.environ["HMS_TEST_PROBE_LOG"], "a") as log:
        log.write(f"{context.job.id} {os.getpid()}\n")
    time.sleep(0.01)
