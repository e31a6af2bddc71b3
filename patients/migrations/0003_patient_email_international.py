# An e-mail address may hold non-ASCII letters before the @ (RFC 6531). Same column; only
# the validation changes, so nothing runs in the database.

import core.validators
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_history_corrections"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patient",
            name="email",
            field=core.validators.InternationalEmailField(blank=True, max_length=254),
        ),
    ]
