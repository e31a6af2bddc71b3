# A medication given at the visit is checked against the patient's allergies as a prescription
# line is: the item keeps the allergies shown and the reason typed to give it anyway, and the
# database refuses an alert kept without its reason.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinical", "0007_completed_prescription_kept")]

    operations = [
        migrations.AddField(
            model_name="visititem",
            name="allergy_alert",
            field=models.TextField(blank=True, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="visititem",
            name="override_reason",
            field=models.CharField(blank=True, default="", max_length=500),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="visititem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("allergy_alert", ""), models.Q(("override_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="clinical_visititem_override_has_reason",
                violation_error_message="A drug that matches an allergy needs a reason to go on.",
            ),
        ),
    ]
