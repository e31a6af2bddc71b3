# The audit log's model now belongs to `core` (core/migrations/0001_initial takes it over and
# renames the table); here it only leaves the project package's state.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('hms', '0003_roles'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
            database_operations=[],
        ),
    ]
