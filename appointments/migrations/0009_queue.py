# The check-in queue: tokens per day and queue, calls, waiting times.
# (A placeholder in the chain the scheduling parts are built in at once: its operations are
# filled in by the work it is named for.)

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("appointments", "0008_waitlist")]

    operations = []
