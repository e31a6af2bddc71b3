from django.db import migrations


def create_roles(apps, schema_editor):
    from core.roles import sync_groups

    sync_groups(apps)


def remove_roles(apps, schema_editor):
    from core.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hms", "0002_auditevent"),
        ("patients", "0001_initial"),
        ("doctors", "0001_initial"),
        ("appointments", "0002_initial"),
        ("billing", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
