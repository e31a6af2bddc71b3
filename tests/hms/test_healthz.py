"""GET /healthz: what a load balancer asks before sending staff to this process."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

from hms import views
from hms.dbroles import as_owner
from tests.hms.production import HOST, production_env, python

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _migrations_not_yet_checked(monkeypatch):
    """Each test starts as a fresh process would, before its first probe."""
    monkeypatch.setattr(views, "_migrations_applied", False)


@pytest.fixture
def forget_latest_migration(transactional_db):
    """Makes the database as it is after a deploy that brought a migration nobody applied.

    Only the owner role writes Django's record of migrations, so the record is changed as the
    owner, outside a test transaction, and put back afterwards.
    """
    forgotten = []

    def forget() -> None:
        with as_owner(connection):
            recorder = MigrationRecorder(connection)
            latest = recorder.migration_qs.filter(app="hms").order_by("-applied", "-id").first()
            recorder.record_unapplied(latest.app, latest.name)
            forgotten.append((latest.app, latest.name))

    yield forget
    with as_owner(connection):
        for app, name in forgotten:
            MigrationRecorder(connection).record_applied(app, name)


def test_it_answers_ok_without_a_login_and_without_data(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_it_answers_503_while_a_migration_is_unapplied(client, forget_latest_migration):
    forget_latest_migration()

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_it_reads_the_migration_plan_only_until_it_is_applied(
    client, django_assert_num_queries, forget_latest_migration
):
    assert client.get(reverse("healthz")).status_code == 200

    # Later probes cost one statement; a migration added while the process runs needs a restart
    # of the process anyway, so the answer once true stays true.
    forget_latest_migration()
    with django_assert_num_queries(1):
        response = client.get(reverse("healthz"))

    assert response.status_code == 200


@pytest.fixture
def queue_not_granted(transactional_db):
    """The job queue's table as after an upgrade that forgot the grants: the application's
    role may not read it (changed as the owner, and granted again afterwards)."""
    role = connection.settings_dict["USER"]
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute(
            f"REVOKE SELECT ON procrastinate_jobs FROM {connection.ops.quote_name(role)}"
        )
    yield
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON procrastinate_jobs TO {connection.ops.quote_name(role)}")


def test_it_answers_503_when_the_job_queue_does_not_answer(client, queue_not_granted, caplog):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert "the job queue does not answer" in caplog.text


def test_it_answers_only_to_reads(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_it_answers_503_when_the_database_does_not_answer():
    # Nothing listens on port 1: the connection is refused at once.
    env = production_env(DATABASE_URL="postgres://hms:secret@127.0.0.1:1/hms")
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"response = Client(headers={{'Host': {HOST!r}}}).get('/healthz')\n"
        "print(response.status_code, response.content.decode())\n"
    )

    result = python("-c", probe, env=env | {"DJANGO_SETTINGS_MODULE": "hms.settings"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '503 {"status": "unavailable"}'
    # The operator learns why from the log; the answer does not say.
    assert "the database does not answer" in result.stderr
