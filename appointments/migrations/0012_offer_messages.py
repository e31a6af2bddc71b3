# A message to a patient may be about a waitlist offer of a freed slot (kind 'offered'), which
# has no appointment yet: the message names exactly one appointment or one offer (a CHECK), and
# an offer is told once per channel and resend (a partial unique index).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0011_owners_held"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appointmentmessage",
            name="offer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="appointments.waitlistoffer",
            ),
        ),
        migrations.AlterField(
            model_name="appointmentmessage",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="appointments.appointment",
            ),
        ),
        migrations.AlterField(
            model_name="appointmentmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("booked", "Booking confirmation"),
                    ("rescheduled", "New time"),
                    ("cancelled", "Cancellation"),
                    ("reminder", "Reminder"),
                    ("offered", "Waitlist offer"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="appointmentmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("offer__isnull", False)),
                fields=("offer", "kind", "channel", "copy"),
                name="appointments_appointmentmessage_offer_once",
                violation_error_message="This message about the offer already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointmentmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appointment__isnull", False), ("offer__isnull", True)),
                    models.Q(("appointment__isnull", True), ("offer__isnull", False)),
                    _connector="OR",
                ),
                name="appointments_appointmentmessage_appointment_or_offer",
                violation_error_message="A message is about one appointment or one offer.",
            ),
        ),
    ]
