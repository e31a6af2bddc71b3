# Conditions coded with ICD-10-CM: the code set (every billable code and its title, from the
# `simple-icd-10-cm` package, loaded here in one COPY) and the code a condition carries.
#
# The code set's table is made by SQL, not by the model layer (patients.icd10.Icd10Code is
# unmanaged): a flush leaves it in place. The corrections trigger of 0002 is rebuilt over
# every content column the entry and its revision share, so coding a condition (a change of
# its code) keeps the version before, as any other correction does.

import django.db.models.deletion
from django.db import migrations, models

CREATE_CODE_SET = """
CREATE TABLE patients_icd10code (
    code varchar(8) COLLATE "C" PRIMARY KEY,
    title varchar(255) NOT NULL CHECK (title <> ''),
    -- The title folded for search (lower case, no accents, a space first): words typed are
    -- matched with LIKE on it, byte by byte, without folding 74,000 titles per search.
    words varchar(260) COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Words typed anywhere in a title (clinical.selectors.icd10_search): LIKE and word
-- similarity on trigrams. A code's prefix is a range of the primary key (byte order).
CREATE INDEX patients_icd10code_words_trgm ON patients_icd10code USING gin (words gin_trgm_ops);
"""
DROP_CODE_SET = "DROP TABLE patients_icd10code"

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


def _keep_revision_sql(columns: list[str]) -> str:
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


def keep_codes(apps, schema_editor):
    connection = schema_editor.connection
    schema_editor.execute(_keep_revision_sql(_shared_columns(connection)))


def forget_codes(apps, schema_editor):
    connection = schema_editor.connection
    schema_editor.execute(_keep_revision_sql(_shared_columns(connection, leave_out=("icd10_id",))))


def load_codes(apps, schema_editor):
    from patients.icd10 import load_code_set

    with schema_editor.connection.cursor() as cursor:
        load_code_set(cursor.cursor)


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_name_start_indexes")]

    operations = [
        migrations.RunSQL(CREATE_CODE_SET, DROP_CODE_SET),
        migrations.RunPython(load_codes, migrations.RunPython.noop, elidable=True),
        migrations.CreateModel(
            name="Icd10Code",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "code",
                    models.CharField(
                        db_collation="C", max_length=8, primary_key=True, serialize=False
                    ),
                ),
                ("title", models.CharField(max_length=255)),
                ("words", models.CharField(db_collation="C", editable=False, max_length=260)),
            ],
            options={
                "verbose_name": "ICD-10-CM code",
                "db_table": "patients_icd10code",
                "ordering": ["code"],
                "managed": False,
            },
        ),
        migrations.AddField(
            model_name="medicalhistory",
            name="icd10",
            field=models.ForeignKey(
                blank=True,
                help_text="The condition's code; empty while it is described in words only.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patients.icd10code",
                verbose_name="ICD-10-CM code",
            ),
        ),
        migrations.AddField(
            model_name="medicalhistoryrevision",
            name="icd10",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patients.icd10code",
            ),
        ),
        migrations.AddConstraint(
            model_name="medicalhistory",
            constraint=models.CheckConstraint(
                condition=models.Q(("icd10__isnull", True), ("kind", "condition"), _connector="OR"),
                name="patients_medicalhistory_icd10_only_for_conditions",
                violation_error_message="Only a condition carries an ICD-10-CM code.",
            ),
        ),
        migrations.RunPython(keep_codes, forget_codes),
    ]
