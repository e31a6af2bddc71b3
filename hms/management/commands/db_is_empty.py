"""`manage.py db_is_empty`: exit status 0 when the database holds no patients, 1 otherwise.

`make run` asks this before loading the demo data, so a database with real or demo
patients is never seeded twice.
"""

import sys

from django.core.management.base import BaseCommand

from patients.models import Patient


class Command(BaseCommand):
    help = "Exit 0 when the database has no patients (so demo data may be loaded), else 1."

    def handle(self, *args, **options) -> None:
        if Patient.objects.exists():
            if options["verbosity"] > 1:
                self.stdout.write("The database has patients.")
            sys.exit(1)
        if options["verbosity"] > 1:
            self.stdout.write("The database has no patients.")
