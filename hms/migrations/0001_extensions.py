from django.contrib.postgres.operations import (
    BtreeGistExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations

# unaccent() is only STABLE (it reads a dictionary), so it cannot appear in an index.
# This wrapper names the dictionary explicitly and is safe to declare IMMUTABLE.
CREATE_UNACCENT = """
CREATE OR REPLACE FUNCTION hms_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
"""
DROP_UNACCENT = "DROP FUNCTION IF EXISTS hms_unaccent(text);"


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        BtreeGistExtension(),
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunSQL(CREATE_UNACCENT, DROP_UNACCENT),
    ]
