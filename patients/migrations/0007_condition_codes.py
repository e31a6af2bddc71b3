# Conditions coded with ICD-10-CM: the code set and the code on a condition.
# (A placeholder in the chain the clinical record's parts are built in at once: its
# operations are filled in by the work it is named for.)

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_name_start_indexes")]

    operations = []
