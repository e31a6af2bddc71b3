# A medication added to the history from the chart is checked against the patient's allergies
# as a prescription line and a medication given at a visit are (clinical.allergy_check): the
# entry keeps the allergies shown and the reason typed to record it anyway, and the database
# refuses an alert kept without its reason. The bulk loaders (workbook import, demo seed) COPY
# rows without these columns, hence the db_default. They are not content a correction changes,
# so the corrections trigger (0008) does not copy them into revisions.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0010_drug_class_check")]

    operations = [
        migrations.AddField(
            model_name="medicalhistory",
            name="allergy_alert",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="medicalhistory",
            name="override_reason",
            field=models.CharField(blank=True, db_default="", default="", max_length=500),
        ),
        migrations.AddConstraint(
            model_name="medicalhistory",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("allergy_alert", ""),
                    models.Q(("override_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="patients_medicalhistory_override_has_reason",
                violation_error_message="A drug that matches an allergy needs a reason to go on.",
            ),
        ),
    ]
