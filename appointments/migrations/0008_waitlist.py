# The waitlist and its offers of freed slots.
# (A placeholder in the chain the scheduling parts are built in at once: its operations are
# filled in by the work it is named for.)

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("appointments", "0007_series")]

    operations = []
