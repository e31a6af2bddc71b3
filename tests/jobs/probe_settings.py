"""The project's settings, with the engine tests' probe task loaded (tests/jobs/probe.py)."""

from hms.settings import *  # noqa: F403

PROCRASTINATE_IMPORT_PATHS = ["tests.jobs.probe"]
