"""`manage.py seed_demo`: load a realistic, deterministic demo hospital (see demo/generator.py)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.generator import seed
from demo.invoices import TABLES as INVOICE_TABLES
from demo.loading import TABLES
from demo.plan import APPOINTMENTS_PER_PATIENT, FUTURE_DAYS, default_days, default_doctors
from patients.models import Patient

COMMIT_EACH_FROM = 5_000  # patients; smaller seeds load in one transaction


class Command(BaseCommand):
    help = (
        "Load a demo hospital: specialties, doctors with weekly hours and time off, the "
        "medication and surgery price lists, billing settings, patients with medical history, "
        "past appointments (completed with a visit record, cancelled, no-shows), the next "
        f"{FUTURE_DAYS} days of scheduled ones, and the invoices and payments of the past "
        "visits. Doctors and days grow with --patients unless given. The same --seed on the "
        "same day gives the same hospital. Refuses when DEBUG is off, and when the database "
        "already has patients; --force overrides both and ADDS a second hospital's worth of "
        "doctors and patients (new codes and MRNs continue after the highest existing ones; "
        "price lists and specialties are reused by name; nothing is ever deleted or changed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patients", type=int, default=2000, help="default 2000")
        parser.add_argument(
            "--doctors",
            type=int,
            default=None,
            help=(
                f"default: enough for about {APPOINTMENTS_PER_PATIENT} appointments per patient "
                "over the seeded days, at least 20 (about 40 at 10,000 patients, 500 at a "
                "million)"
            ),
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=(
                "days of past appointments before today; default 60 up to 2,000 patients, "
                "longer for more (about 4 months at 10,000, 14 at 100,000, at most 3 years)"
            ),
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help=(
                f"parallel loaders (default 1). A seed below {COMMIT_EACH_FROM:,} patients with "
                "one loader is one transaction, the summaries kept by their triggers as rows "
                "arrive; a bigger one, or more loaders, commit block by block with the "
                "summaries deferred, then rebuild them once (reports.summaries)."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed even with DEBUG off or when patients exist (adds, never deletes)",
        )

    def handle(self, *args, **options) -> None:
        if options["days"] is None:
            options["days"] = default_days(max(0, options["patients"]))
        if options["doctors"] is None:
            options["doctors"] = default_doctors(max(0, options["patients"]), options["days"])
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
        jobs = max(1, options["jobs"])

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
            commit_each=options["patients"] >= COMMIT_EACH_FROM,
            stdout=self.stdout.write,
        )
        self.stdout.write("")
        self.stdout.write(f"{'table':<18} {'rows':>12} {'COPY s':>9}")
        self.stdout.write(f"{'doctors':<18} {result.counts.get('doctors', 0):>12,} {'':>9}")
        for table in [*TABLES, *INVOICE_TABLES]:
            rows = result.counts.get(table, 0)
            seconds = f"{result.seconds[table]:9.1f}" if table in result.seconds else ""
            self.stdout.write(f"{table:<18} {rows:>12,} {seconds:>9}")
        if result.billing_cycle:
            self.stdout.write(
                f"(statements every {result.billing_cycle} days; see demo/invoices.py)"
            )
        if jobs > 1:
            self.stdout.write(f"(COPY seconds are summed over the {jobs} parallel loaders)")
        self.stdout.write("")
        for phase, seconds in result.phases.items():
            self.stdout.write(f"{phase:<26} {seconds:>8.1f} s")
        self.stdout.write(self.style.SUCCESS("Demo hospital loaded."))
