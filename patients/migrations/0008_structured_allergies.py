# Allergies structured: substance (the entry's description, so a free-text allergy of before
# stays valid as it is), reaction, severity and, optionally, a drug class. The corrections
# trigger of 0002 keeps these too: it is rebuilt over every content column the entry and its
# revision share, so a content column added by an earlier migration (0007) stays kept.

from django.db import migrations, models

_BOOKKEEPING = {"id", "created_at", "updated_at", "version"}


def _shared_columns(connection, *, leave_out=()) -> list[str]:
    with connection.cursor() as cursor:
        described = {
            table: {
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            }
            for table in ("patients_medicalhistory", "patients_medicalhistoryrevision")
        }
    shared = described["patients_medicalhistory"] & described["patients_medicalhistoryrevision"]
    return sorted(shared - _BOOKKEEPING - set(leave_out))


def keep_revision_sql(columns: list[str]) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    return f"""
CREATE OR REPLACE FUNCTION patients_medicalhistory_keep_revision() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF ({old}) IS DISTINCT FROM ({new}) THEN
        INSERT INTO patients_medicalhistoryrevision (
            created_at, updated_at, entry_id, version, {", ".join(columns)},
            written_at, written_by_id, reason, superseded_at, superseded_by_id
        ) VALUES (
            now(), now(), OLD.id, OLD.version, {old},
            COALESCE(OLD.corrected_at, OLD.created_at),
            COALESCE(OLD.corrected_by_id, OLD.recorded_by_id),
            OLD.correction_reason, now(), NEW.corrected_by_id
        );
        NEW.version := OLD.version + 1;
        NEW.corrected_at := now();
    ELSE
        NEW.version := OLD.version;
        NEW.corrected_at := OLD.corrected_at;
        NEW.corrected_by_id := OLD.corrected_by_id;
        NEW.correction_reason := OLD.correction_reason;
    END IF;
    RETURN NEW;
END
$$;
"""


def keep_allergy_fields(apps, schema_editor):
    connection = schema_editor.connection
    schema_editor.execute(keep_revision_sql(_shared_columns(connection)))


def forget_allergy_fields(apps, schema_editor):
    connection = schema_editor.connection
    columns = _shared_columns(connection, leave_out=("reaction", "severity", "drug_class"))
    schema_editor.execute(keep_revision_sql(columns))


_SEVERITIES = [
    ("mild", "Mild"),
    ("moderate", "Moderate"),
    ("severe", "Severe"),
    ("life_threatening", "Life-threatening"),
]


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_condition_codes")]

    operations = [
        migrations.AddField(
            model_name="medicalhistory",
            name="drug_class",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=40, verbose_name="drug class"
            ),
        ),
        migrations.AddField(
            model_name="medicalhistory",
            name="reaction",
            field=models.CharField(
                blank=True, db_default="", default="", help_text="E.g. hives.", max_length=255
            ),
        ),
        migrations.AddField(
            model_name="medicalhistory",
            name="severity",
            field=models.CharField(
                blank=True, choices=_SEVERITIES, db_default="", default="", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="medicalhistoryrevision",
            name="drug_class",
            field=models.CharField(blank=True, db_default="", default="", max_length=40),
        ),
        migrations.AddField(
            model_name="medicalhistoryrevision",
            name="reaction",
            field=models.CharField(blank=True, db_default="", default="", max_length=255),
        ),
        migrations.AddField(
            model_name="medicalhistoryrevision",
            name="severity",
            field=models.CharField(blank=True, db_default="", default="", max_length=16),
        ),
        migrations.AddConstraint(
            model_name="medicalhistory",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("severity", ""),
                    ("severity__in", ["mild", "moderate", "severe", "life_threatening"]),
                    _connector="OR",
                ),
                name="patients_medicalhistory_severity_valid",
                violation_error_message="Severity is mild, moderate, severe or life-threatening.",
            ),
        ),
        migrations.AddConstraint(
            model_name="medicalhistory",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind", "allergy"),
                    models.Q(("drug_class", ""), ("reaction", ""), ("severity", "")),
                    _connector="OR",
                ),
                name="patients_medicalhistory_reaction_only_for_allergies",
                violation_error_message="Only an allergy has a reaction, severity or drug class.",
            ),
        ),
        migrations.RunPython(keep_allergy_fields, forget_allergy_fields),
    ]
