# The audit log moved from the project package `hms` to the ground layer `core`. The table
# was made by hms/migrations/0002_auditevent (which still runs on a fresh database); this
# migration takes the model over in Django's state and renames the table to core_auditevent.
# The append-only trigger is bound to the table, not to its name, so it moves along.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('hms', '0003_roles'),
        ('patients', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('actor_username', models.CharField(blank=True, max_length=150)),
                        ('action', models.CharField(choices=[('view', 'Viewed'), ('create', 'Created'), ('update', 'Updated'), ('delete', 'Deleted'), ('login', 'Logged in'), ('logout', 'Logged out'), ('login_failed', 'Login failed'), ('export', 'Exported')], max_length=20)),
                        ('object_type', models.CharField(blank=True, max_length=100)),
                        ('object_id', models.CharField(blank=True, max_length=64)),
                        ('object_repr', models.CharField(blank=True, max_length=255)),
                        ('changes', models.JSONField(blank=True, default=dict)),
                        ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                        ('path', models.CharField(blank=True, max_length=255)),
                        ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                    ],
                    options={
                        'verbose_name': 'audit event',
                        'ordering': ['-created_at', '-id'],
                        'db_table': 'hms_auditevent',
                        'indexes': [models.Index(fields=['patient', '-created_at'], name='hms_audit_patient_idx'), models.Index(fields=['actor', '-created_at'], name='hms_audit_actor_idx'), models.Index(fields=['-created_at'], name='hms_audit_created_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='auditevent', table=None),
    ]
