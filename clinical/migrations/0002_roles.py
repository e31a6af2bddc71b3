"""Re-sync the role groups: the Administrator group holds every permission of the project's
apps, including those of the models added by patients 0002 (medical history revisions)."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from core.roles import sync_groups

    sync_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0001_initial"),
        ("patients", "0002_history_corrections"),
        ("hms", "0003_roles"),
        ("doctors", "0001_initial"),
        ("appointments", "0002_initial"),
        ("billing", "0002_initial"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
