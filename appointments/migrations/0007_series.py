# Recurring series of appointments (RFC 5545 rules) and their exceptions.
# (A placeholder in the chain the scheduling parts are built in at once: its operations are
# filled in by the work it is named for.)

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("appointments", "0006_doctor_lead_index")]

    operations = []
