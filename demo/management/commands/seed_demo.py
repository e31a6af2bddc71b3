"""`manage.py seed_demo`: load a realistic, deterministic demo hospital (see demo/generator.py)."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.generator import seed
from demo.loading import TABLES
from demo.plan import FUTURE_DAYS
from patients.models import Patient

PARALLEL_FROM = 100_000  # patients; smaller seeds load in one transaction


class Command(BaseCommand):
    help = (
        "Load a demo hospital: specialties, doctors with weekly hours and time off, the "
        "medication and surgery price lists, billing settings, patients with medical history, "
        "past appointments (completed with a visit record, cancelled, no-shows) and the next "
        f"{FUTURE_DAYS} days of scheduled ones. The same --seed on the same day gives the "
        "same hospital. Refuses when DEBUG is off, and when the database already has patients; "
        "--force overrides both and ADDS a second hospital's worth of doctors and patients "
        "(new codes and MRNs continue after the highest existing ones; price lists and "
        "specialties are reused by name; nothing is ever deleted or changed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patients", type=int, default=2000, help="default 2000")
        parser.add_argument("--doctors", type=int, default=20, help="default 20")
        parser.add_argument(
            "--days",
            type=int,
            default=60,
            help="days of past appointments before today (default 60)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--jobs",
            type=int,
            default=0,
            help=(
                f"parallel loaders; 0 (default) = 1 below {PARALLEL_FROM:,} patients, else one "
                "per CPU up to 4. With 1, the whole seed is one transaction; with more, "
                "reference data, patients and appointments are committed in turn."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed even with DEBUG off or when patients exist (adds, never deletes)",
        )

    def handle(self, *args, **options) -> None:
        for name in ("patients", "doctors", "days"):
            if options[name] < 0:
                raise CommandError(f"--{name} cannot be negative.")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a real installation, so no demo data was "
                "loaded. Use --force to load it anyway."
            )
        existing = Patient.objects.count()
        if existing and not options["force"]:
            raise CommandError(
                f"The database already has {existing:,} patients, so no demo data was loaded. "
                "Use --force to add a demo hospital alongside them (nothing is deleted)."
            )
        jobs = options["jobs"]
        if jobs <= 0:
            jobs = 1 if options["patients"] < PARALLEL_FROM else min(4, os.cpu_count() or 1)

        self.stdout.write(
            f"Seeding a demo hospital: {options['patients']:,} patients, "
            f"{options['doctors']:,} doctors, {options['days']} days back and "
            f"{FUTURE_DAYS} ahead, seed {options['seed']}, {jobs} loader(s)."
        )
        result = seed(
            patients=options["patients"],
            doctors=options["doctors"],
            days=options["days"],
            seed=options["seed"],
            jobs=jobs,
            stdout=self.stdout.write,
        )
        self.stdout.write("")
        self.stdout.write(f"{'table':<18} {'rows':>12} {'COPY s':>9}")
        self.stdout.write(f"{'doctors':<18} {result.counts.get('doctors', 0):>12,} {'':>9}")
        for table in TABLES:
            rows = result.counts.get(table, 0)
            self.stdout.write(f"{table:<18} {rows:>12,} {result.seconds.get(table, 0):>9.1f}")
        if jobs > 1:
            self.stdout.write(f"(COPY seconds are summed over the {jobs} parallel loaders)")
        self.stdout.write("")
        for phase, seconds in result.phases.items():
            self.stdout.write(f"{phase:<26} {seconds:>8.1f} s")
        self.stdout.write(self.style.SUCCESS("Demo hospital loaded."))
