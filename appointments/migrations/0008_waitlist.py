# The waitlist and its offers of freed slots (issue 18): waiters for a doctor or a specialty,
# the offers made to them, their rules as constraints, and the trigger that closes an offer
# whose time an appointment took (whoever wrote it: a page, the API, another desk in a race).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# An appointment that holds a doctor's time closes the open offers of that time ("taken").
# SKIP LOCKED: an offer a desk is booking right now (appointments.waitlist.services.offer_book
# locks it) is left to that desk, which then learns the slot was taken from the exclusion
# constraint, instead of the two transactions waiting on each other.
OFFER_TAKEN = """
CREATE FUNCTION appointments_waitlist_offer_taken() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointments_waitlistoffer
       SET status = 'taken', closed_at = now(), updated_at = now()
     WHERE id IN (
        SELECT id FROM appointments_waitlistoffer
         WHERE status = 'open'
           AND doctor_id = NEW.doctor_id
           AND start < NEW."end"
           AND start > NEW.start - interval '1 day'
           AND "end" > NEW.start
         FOR UPDATE SKIP LOCKED);
    RETURN NULL;
END
$$;
CREATE TRIGGER appointments_waitlist_offer_taken
AFTER INSERT OR UPDATE OF status, start, "end", doctor_id ON appointments_appointment
FOR EACH ROW
WHEN (NEW.status IN ('scheduled', 'checked_in', 'completed'))
EXECUTE FUNCTION appointments_waitlist_offer_taken();
"""
DROP_OFFER_TAKEN = """
DROP TRIGGER IF EXISTS appointments_waitlist_offer_taken ON appointments_appointment;
DROP FUNCTION IF EXISTS appointments_waitlist_offer_taken();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0007_series"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WaitlistEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("day_from", models.DateField(verbose_name="from")),
                ("day_to", models.DateField(verbose_name="until")),
                ("weekdays", models.PositiveSmallIntegerField(default=127)),
                ("earliest", models.TimeField(blank=True, null=True, verbose_name="not before")),
                ("latest", models.TimeField(blank=True, null=True, verbose_name="ending by")),
                (
                    "priority",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Urgent"), (2, "Soon"), (3, "Normal"), (4, "Routine")],
                        default=3,
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=255)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting"),
                            ("booked", "Booked"),
                            ("removed", "Removed"),
                        ],
                        default="waiting",
                        max_length=8,
                    ),
                ),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="appointments.appointment",
                    ),
                ),
                (
                    "doctor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="doctors.doctor",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="waitlist_entries",
                        to="patients.patient",
                    ),
                ),
                (
                    "specialty",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="doctors.specialty",
                    ),
                ),
            ],
            options={
                "verbose_name": "waitlist entry",
                "verbose_name_plural": "waitlist entries",
                "ordering": ["priority", "created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="WaitlistOffer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("booked", "Booked"),
                            ("passed", "Passed to the next waiter"),
                            ("expired", "Expired"),
                            ("taken", "Slot taken by another booking"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="open",
                        max_length=9,
                    ),
                ),
                ("expires_at", models.DateTimeField()),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="appointments.appointment",
                    ),
                ),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "doctor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="doctors.doctor",
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offers",
                        to="appointments.waitlistentry",
                    ),
                ),
            ],
            options={
                "verbose_name": "waitlist offer",
                "ordering": ["start", "doctor_id"],
            },
        ),
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(
                models.F("doctor"),
                models.F("priority"),
                models.F("created_at"),
                models.F("id"),
                condition=models.Q(("status", "waiting")),
                name="waitlist_doctor_match_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(
                models.F("specialty"),
                models.F("priority"),
                models.F("created_at"),
                models.F("id"),
                condition=models.Q(("status", "waiting")),
                name="waitlist_specialty_match_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(
                models.F("priority"),
                models.F("created_at"),
                models.F("id"),
                condition=models.Q(("status", "waiting")),
                name="waitlist_waiting_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(fields=["patient"], name="waitlist_patient_idx"),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("doctor__isnull", False), ("specialty__isnull", True)),
                    models.Q(("doctor__isnull", True), ("specialty__isnull", False)),
                    _connector="OR",
                ),
                name="appointments_waitlistentry_doctor_or_specialty",
                violation_error_message="Wait for one doctor or for a specialty, not both.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("day_to__gte", models.F("day_from"))),
                name="appointments_waitlistentry_dates_in_order",
                violation_error_message="The last day comes on or after the first day.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("weekdays__gte", 1), ("weekdays__lte", 127)),
                name="appointments_waitlistentry_some_weekday",
                violation_error_message="Pick at least one weekday.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("earliest__isnull", True),
                    ("latest__isnull", True),
                    ("latest__gt", models.F("earliest")),
                    _connector="OR",
                ),
                name="appointments_waitlistentry_times_in_order",
                violation_error_message="The latest time comes after the earliest.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("priority__in", [1, 2, 3, 4])),
                name="appointments_waitlistentry_priority_valid",
                violation_error_message="Unknown priority.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["waiting", "booked", "removed"])),
                name="appointments_waitlistentry_status_valid",
                violation_error_message="Unknown waitlist status.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appointment__isnull", False), ("status", "booked")),
                    models.Q(
                        models.Q(("status", "booked"), _negated=True), ("appointment__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="appointments_waitlistentry_booked_has_appointment",
                violation_error_message="A booked waiter names the appointment booked.",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistoffer",
            index=models.Index(
                models.F("expires_at"),
                condition=models.Q(("status", "open")),
                name="waitlist_offer_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistoffer",
            index=models.Index(fields=["entry", "start"], name="waitlist_offer_entry_idx"),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.CheckConstraint(
                condition=models.Q(("end__gt", models.F("start"))),
                name="appointments_waitlistoffer_end_after_start",
                violation_error_message="An offered slot ends after it starts.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["open", "booked", "passed", "expired", "taken", "withdrawn"])
                ),
                name="appointments_waitlistoffer_status_valid",
                violation_error_message="Unknown offer status.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appointment__isnull", False), ("status", "booked")),
                    models.Q(
                        models.Q(("status", "booked"), _negated=True), ("appointment__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="appointments_waitlistoffer_booked_has_appointment",
                violation_error_message="A booked offer names the appointment booked.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.UniqueConstraint(
                models.F("doctor"),
                models.F("start"),
                condition=models.Q(("status", "open")),
                name="appointments_waitlistoffer_one_open_per_slot",
                violation_error_message="This slot is already offered to a waiting patient.",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.UniqueConstraint(
                models.F("entry"),
                condition=models.Q(("status", "open")),
                name="appointments_waitlistoffer_one_open_per_waiter",
                violation_error_message="This patient already holds an open offer.",
            ),
        ),
        migrations.RunSQL(OFFER_TAKEN, DROP_OFFER_TAKEN),
    ]
