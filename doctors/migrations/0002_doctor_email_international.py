# An e-mail address may hold non-ASCII letters before the @ (RFC 6531). Same column; only
# the validation changes, so nothing runs in the database.

import core.validators
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("doctors", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="doctor",
            name="email",
            field=core.validators.InternationalEmailField(blank=True, max_length=254),
        ),
    ]
