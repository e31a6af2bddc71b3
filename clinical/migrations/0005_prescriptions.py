# Prescriptions of a visit, and the allergy check's overrides.
# (A placeholder in the chain the clinical record's parts are built in at once: its
# operations are filled in by the work it is named for.)

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clinical", "0004_vitals"), ("patients", "0008_structured_allergies")]

    operations = []
