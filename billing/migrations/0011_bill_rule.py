# The billing rule as one SQL function and the per-patient bill summary it maintains
# (issue 14). Filled in by the same change that uses it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0010_invoice_batch'),
    ]

    operations = []
