"""The project's settings for the reminder benchmark's workers (bench/bench_reminders.py):
mail goes to files in the folder BENCH_MAIL_DIR, never to a mail server."""

import os

from hms.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["BENCH_MAIL_DIR"]
# The workers log each file they write at INFO; a benchmark wants none of that.
LOGGING["loggers"]["appointments.messaging"]["level"] = "WARNING"  # noqa: F405
