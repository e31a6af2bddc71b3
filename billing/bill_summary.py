"""What every patient's next invoice would come to, kept by the database as items change.

The billing rule is one SQL function, `billing_unbilled_items(patients, default_surgery_fee,
zone)` (billing/migrations/0011_bill_rule.py): every unbilled billable item of the given
patients, priced. Drafting an invoice reads it for one patient (`billing.rule`); the
"patient bills" report, the ready-to-bill list and their totals read these two tables, which
triggers keep equal to that function's sums in the same transaction as every write that
changes a bill (medical history, attendances, appointment statuses, invoice lines, the price
lists, a doctor's fee, patients), whoever writes: our services, the admin, the import, the
demo seed's COPY, or a psql session with the application's login.

Why triggers and not a materialised view refreshed by a job: a clerk must never see a bill
that differs from the invoice drafting would make, and a refreshed view is as old as its last
refresh. Each write re-prices only the patients it touched (a few rows, through indexes),
with each patient's bill row locked before reading, so two transactions on one patient
never lose each other's change.

The settings that apply to every patient at once stay out of the tables so that changing them
re-prices nothing: surgeries without a price are counted (priced at the default surgery fee
when read), and the minimum charge and tax are applied when read.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

# Sums over many items: numeric(20, 2), as the reports print them.
SUM = {"max_digits": 20, "decimal_places": 2}

# Sixteen rows of hospital-wide sums (patient id modulo 16), so that concurrent writes for
# different patients rarely wait on the same row; a page sums the sixteen.
SHARDS = 16


class PatientBill(models.Model):
    """One patient's unbilled items, summed by the billing rule. Only patients with at least
    one unbilled item have a row. Written only by the database's triggers."""

    # DO_NOTHING: the application's login cannot delete a bill, and need not: a patient with
    # anything unbilled has history or visits, which protect the patient from deletion.
    patient = models.OneToOneField(
        "patients.Patient", primary_key=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    items = models.IntegerField(db_default=0)
    medication_total = models.DecimalField(**SUM, db_default=0)
    # Surgeries with a procedure fee (by link or by name), summed; those without, counted.
    surgery_priced_total = models.DecimalField(**SUM, db_default=0)
    surgery_default_count = models.IntegerField(db_default=0)
    consultation_total = models.DecimalField(**SUM, db_default=0)
    unpriced_medications = models.IntegerField(db_default=0)
    # The newest service date among the items (the ready-to-bill list's order).
    latest = models.DateField(null=True)

    class Meta:
        verbose_name = "patient bill summary"
        indexes = [
            models.Index(
                models.F("latest").desc(nulls_last=True),
                models.F("patient").desc(),
                name="billing_patientbill_latest",
            )
        ]

    def __str__(self) -> str:
        return f"Unbilled items of patient {self.patient_id}"

    def item_sum(self, default_surgery_fee: Decimal) -> Decimal:
        """What the items come to, before the minimum charge and tax."""
        return (
            self.medication_total
            + self.surgery_priced_total
            + self.surgery_default_count * default_surgery_fee
            + self.consultation_total
        )


class BillTotalsShard(models.Model):
    """A sixteenth of the hospital's sums over every patient's next invoice."""

    shard = models.SmallIntegerField(primary_key=True)
    patients = models.BigIntegerField(db_default=0)
    # Patients with a PatientBill row: those with something unbilled (the ready-to-bill list).
    bills = models.BigIntegerField(db_default=0)
    # Summary rows whose priced items come to more than 0.00, and rows with nothing priced but
    # surgeries at the default fee (more than 0.00 unless that fee is 0.00).
    priced_patients = models.BigIntegerField(db_default=0)
    default_only_patients = models.BigIntegerField(db_default=0)
    medication_total = models.DecimalField(**SUM, db_default=0)
    surgery_priced_total = models.DecimalField(**SUM, db_default=0)
    surgery_default_count = models.BigIntegerField(db_default=0)
    consultation_total = models.DecimalField(**SUM, db_default=0)
    unpriced_medications = models.BigIntegerField(db_default=0)

    class Meta:
        verbose_name = "bill totals shard"

    def __str__(self) -> str:
        return f"Bill totals, shard {self.shard}"


def rebuild() -> None:
    """Every patient's bill and the hospital's sums again from the committed rows (after a
    bulk load that deferred them: reports.summaries). About a minute per million patients."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT billing_bill_rebuild()")
