"""Fixtures of the project layer's tests."""

from pathlib import Path

import pytest

from tests.hms.production import manage, production_env


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """The static files as production serves them: `collectstatic` with the production
    settings (manifest and compression) into a temporary STATIC_ROOT, once per run."""
    root = tmp_path_factory.mktemp("staticfiles")
    result = manage("collectstatic", "--noinput", env=production_env(HMS_STATIC_ROOT=str(root)))
    if result.returncode != 0:
        pytest.fail(f"collectstatic failed:\n{result.stdout}{result.stderr}", pytrace=False)
    return root
