"""Fresh planner statistics on request, for a login that owns no table.

PostgreSQL lets only a table's owner ANALYZE it; the application's role owns nothing
(hms/dbroles.py), so its ANALYZE after a bulk load (the demo hospital, a workbook import) was
skipped with a warning, and the first pages after it were planned on the row counts of an empty
table. `core_refresh_statistics` runs ANALYZE as the schema's owner (SECURITY DEFINER, fixed
search_path), inside the caller's transaction, so the rows it has just written count. It takes
table names of the public schema and nothing else; NULL means every table there. ANALYZE only
reads and samples: the function grants no other power over the tables.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION core_refresh_statistics(tables text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    wanted text;
    rel regclass;
BEGIN
    IF tables IS NULL THEN
        SELECT array_agg(c.relname::text ORDER BY c.relname) INTO tables
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user);
    END IF;
    FOREACH wanted IN ARRAY coalesce(tables, '{}') LOOP
        SELECT c.oid INTO rel FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname = wanted
          AND c.relkind IN ('r', 'p');
        IF rel IS NULL THEN
            RAISE EXCEPTION 'core_refresh_statistics: no table "%" in the public schema', wanted
                USING ERRCODE = 'undefined_table';
        END IF;
        EXECUTE format('ANALYZE %s', rel);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_patients_named")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION core_refresh_statistics(text[])"),
    ]
