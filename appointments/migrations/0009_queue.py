# The check-in queue (issue 18): a token per check-in numbered per day and queue (unique by a
# constraint; numbers from a counter row per queue and day, locked while numbering), its calls,
# and each doctor's room as the waiting-room display names it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0008_waitlist"),
        ("doctors", "0004_time_off_at_most_a_year"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("day", models.DateField()),
                ("queue", models.PositiveIntegerField()),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "queue counter",
                "ordering": ["day", "queue"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "queue"),
                        name="appointments_queuecounter_one_per_queue_day",
                        violation_error_message="A queue has one counter per day.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="QueueRoom",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "room",
                    models.CharField(
                        blank=True, help_text="As signposted: “Room 4”.", max_length=40
                    ),
                ),
                (
                    "display_name",
                    models.CharField(
                        blank=True,
                        help_text="Shown on the waiting-room display; blank: “Dr <last name>”.",
                        max_length=60,
                    ),
                ),
                (
                    "doctor",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="queue_room",
                        to="doctors.doctor",
                    ),
                ),
            ],
            options={
                "verbose_name": "queue room",
                "ordering": ["doctor"],
            },
        ),
        migrations.CreateModel(
            name="QueueTicket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("day", models.DateField()),
                ("queue", models.PositiveIntegerField()),
                ("number", models.PositiveIntegerField()),
                ("called_at", models.DateTimeField(blank=True, null=True)),
                ("announced_at", models.DateTimeField(blank=True, null=True)),
                ("calls", models.PositiveSmallIntegerField(default=0)),
                ("withdrawn_at", models.DateTimeField(blank=True, null=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="queue_tickets",
                        to="appointments.appointment",
                    ),
                ),
                (
                    "called_by",
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
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="doctors.doctor",
                    ),
                ),
            ],
            options={
                "verbose_name": "queue ticket",
                "ordering": ["day", "queue", "number"],
                "indexes": [
                    models.Index(
                        fields=["doctor", "day", "number"], name="queue_ticket_doctor_day_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "queue", "number"),
                        name="appointments_queueticket_number_unique_per_queue_day",
                        violation_error_message="This token number is already given in this queue today.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("withdrawn_at__isnull", True)),
                        fields=("appointment",),
                        name="appointments_queueticket_one_live_per_appointment",
                        violation_error_message="This appointment already has a token.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("number__gt", 0)),
                        name="appointments_queueticket_number_positive",
                        violation_error_message="A token number starts at 1.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("called_at__isnull", True),
                                ("calls", 0),
                                ("announced_at__isnull", True),
                            ),
                            models.Q(
                                ("calls__gt", 0), ("announced_at__gte", models.F("called_at"))
                            ),
                            _connector="OR",
                        ),
                        name="appointments_queueticket_calls_consistent",
                        violation_error_message="A called token has its call time and count.",
                    ),
                ],
            },
        ),
    ]
