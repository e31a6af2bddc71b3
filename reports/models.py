"""Summaries the reports read instead of scanning every patient (issue 14).

Both tables are written only by PostgreSQL triggers (migration reports 0001), in the same
transaction as the writes that change them, whoever writes (a service, the admin, an import's
COPY, psql): never by application code. The SQL there is the one definition of their figures.
"""

from django.db import models


class PatientHealthSummary(models.Model):
    """One row per patient who has (or had) medical history: the figures of the patient-health
    report over all of it. Medications and surgeries count once whatever their case or
    surrounding blanks; a medication linked to the price list counts under its price-list name;
    "None", "N/A", "-" are nothing (core.nothing.NOTHING)."""

    patient = models.OneToOneField(
        "patients.Patient",
        primary_key=True,
        # The patients' delete trigger removes the row, whoever deletes the patient.
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    # History entries of any kind: the report lists the patients with at least one.
    entries = models.PositiveIntegerField(default=0)
    distinct_medications = models.PositiveIntegerField(default=0)
    distinct_surgeries = models.PositiveIntegerField(default=0)
    # The distinct names, lower-cased, sorted and joined with "; ".
    medications = models.TextField(blank=True, default="")
    surgeries = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "patient health summary"

    def __str__(self) -> str:
        return f"Health summary of patient {self.patient_id}"


class DemographicCount(models.Model):
    """How many active patients were born on a day with a sex (date of birth unknown: null).
    Birth dates, not age bands: the bands move every day, the birth dates do not."""

    date_of_birth = models.DateField(null=True)
    sex = models.CharField(max_length=10)
    # No CHECK (patients >= 0): PostgreSQL checks it on the row an upsert proposes, before
    # the conflict turns it into an addition, and a decrease is proposed as a negative row.
    patients = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["date_of_birth", "sex"],
                nulls_distinct=False,
                name="reports_demographiccount_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patients} {self.sex} born {self.date_of_birth or 'unknown'}"


class DemographicMonthCount(models.Model):
    """How many active patients of each sex were born in a month (date of birth unknown:
    null): DemographicCount rolled up to the first day of the birth month, one row a month
    with a column per sex (patients.models.Sex; the patients' CHECK allows no other). The
    demographics report reads every month from here and only a few days of the 18 months that
    hold a band's cut-off day from DemographicCount: a bounded number of rows, however many
    patients (reports.selectors.health.demographics_report)."""

    birth_month = models.DateField(null=True)
    # No CHECK (>= 0), as in DemographicCount: an upsert proposes a decrease as a negative row.
    female = models.IntegerField(default=0)
    male = models.IntegerField(default=0)
    other = models.IntegerField(default=0)
    unknown = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["birth_month"],
                nulls_distinct=False,
                name="reports_demographicmonthcount_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_month__day=1) | models.Q(birth_month__isnull=True),
                name="reports_demographicmonthcount_first_day",
                violation_error_message="A birth month is written as its first day.",
            ),
        ]

    def __str__(self) -> str:
        month = self.birth_month.strftime("%Y-%m") if self.birth_month else "unknown"
        total = self.female + self.male + self.other + self.unknown
        return f"{total} born {month}"
