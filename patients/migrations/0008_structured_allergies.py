# Allergies structured: substance, reaction, severity.
# (A placeholder in the chain the clinical record's parts are built in at once: its
# operations are filled in by the work it is named for.)

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_condition_codes")]

    operations = []
