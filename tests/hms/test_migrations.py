"""Every model change has its migration: a model edited without one would let the tests pass
(they build the schema from the migrations) while a hospital's `migrate` left its database
behind the code. Also no two migrations of an app end its history side by side."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader


@pytest.mark.django_db
def test_the_models_need_no_migration_that_is_not_written():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as missing:
        pytest.fail(f"Models changed without a migration (exit {missing.code}):\n{out.getvalue()}")


def test_each_app_has_one_latest_migration():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert loader.detect_conflicts() == {}
