"""The upload page's jobs in real worker processes on the real database (issue 13's faults):
a check and an import run by a worker while the page follows; a worker killed with SIGKILL in
the middle of an import leaves the database exactly as before, the upload shows
"interrupted" within a minute, and "Try again" imports it whole."""

import time

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from imports.models import UploadStatus, WorkbookUpload
from imports.services import upload_path, workbook_upload_check, workbook_upload_confirm
from imports.services.upload_jobs import upload_is_stalled
from patients.models import Patient
from tests.imports.helpers import SAMPLE_XLSX, sample_rows
from tests.jobs.helpers import wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)

IMPORTS = ("--queues", "imports")
# Tables whose rows are the hospital's records (the queue's own tables, the upload's row and
# sessions change as a matter of course).
NOT_RECORDS = ("procrastinate_%", "imports_workbookupload", "jobs_joberror", "django_session")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _xlsx() -> SimpleUploadedFile:
    return SimpleUploadedFile("hospital.xlsx", SAMPLE_XLSX.read_bytes())


def _status(upload: WorkbookUpload) -> str:
    upload.refresh_from_db()
    return upload.status


def _records() -> dict[str, tuple[int, str]]:
    """Every table of records: its row count and a digest of all its rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND NOT tablename LIKE ANY (%s) ORDER BY tablename",
            [list(NOT_RECORDS)],
        )
        tables = [name for (name,) in cursor.fetchall()]
        digest = {}
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' "
                f"ORDER BY md5(t::text)), '')) FROM {quoted} AS t"
            )
            digest[table] = cursor.fetchone()
    return digest


def _waiting_on(locker: psycopg.Connection) -> int | None:
    """The session (a worker's) waiting for a lock that `locker` holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [locker.info.backend_pid],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _session_exists(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)", [pid])
        return cursor.fetchone()[0]


def test_a_worker_checks_and_imports_while_the_page_follows(client, admin_user, tmp_path):
    client.force_login(admin_user)
    with worker_process(tmp_path / "worker.log", *IMPORTS) as worker:
        response = client.post(reverse("imports:upload"), {"files": [_xlsx()]})
        upload = WorkbookUpload.objects.get()
        assert response.url == reverse("imports:upload_detail", args=[upload.pk])
        wait_until(
            lambda: _status(upload) == UploadStatus.CHECKED,
            timeout=90,
            what=f"the check\n{worker.output()[-3000:]}",
        )
        assert Patient.objects.count() == 0

        client.post(reverse("imports:upload_confirm", args=[upload.pk]))
        wait_until(
            lambda: _status(upload) == UploadStatus.IMPORTED,
            timeout=90,
            what=f"the import\n{worker.output()[-3000:]}",
        )

    assert Patient.objects.count() == len(sample_rows("Patient"))
    assert upload.imported_by == admin_user
    assert not upload_path(upload).exists()
    assert ProcrastinateJob.objects.get(pk=upload.job_id).status == "succeeded"
    assert "Imported in" in client.get(response.url).content.decode()


def test_a_worker_killed_mid_import_leaves_nothing_and_a_retry_imports_it(
    client, admin_user, tmp_path
):
    client.force_login(admin_user)
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    with worker_process(tmp_path / "first.log", *IMPORTS) as first:
        wait_until(lambda: _status(upload) == UploadStatus.CHECKED, timeout=90, what="check")
        before = _records()

        # Another session holds the appointments table: the import writes the specialties,
        # doctors and patients, then waits there, its transaction open. Kill it then.
        locker = psycopg.connect(**connection.get_connection_params())
        try:
            locker.execute("LOCK TABLE appointments_appointment IN SHARE MODE")
            workbook_upload_confirm(upload=upload, by=admin_user)
            import_session = wait_until(
                lambda: _waiting_on(locker),
                timeout=90,
                what=f"the import at the appointments\n{first.output()[-3000:]}",
            )
            upload.refresh_from_db()
            assert upload.progress.startswith("Appointment"), upload.progress  # mid-import

            first.kill()
            killed = time.monotonic()
            # Its session lingers, stuck on the lock (as one stuck in a long statement would):
            # the worker's silent heartbeat tells the page.
            wait_until(
                lambda: upload_is_stalled(WorkbookUpload.objects.get(pk=upload.pk)),
                timeout=60,
                what="the upload shown interrupted",
            )
            interrupted_after = time.monotonic() - killed
        finally:
            locker.close()  # the lingering session goes on, finds its client gone, rolls back

    wait_until(lambda: not _session_exists(import_session), timeout=30, what="session gone")
    assert _records() == before
    assert interrupted_after < 60
    page = client.get(reverse("imports:upload_detail", args=[upload.pk])).content.decode()
    assert "The import was interrupted" in page
    print(f"\nSIGKILLed import shown interrupted after {interrupted_after:.1f} s")

    with worker_process(tmp_path / "second.log", *IMPORTS) as second:
        response = client.post(reverse("imports:upload_retry", args=[upload.pk]), follow=True)
        assert "It runs again" in response.content.decode()
        wait_until(
            lambda: _status(upload) == UploadStatus.IMPORTED,
            timeout=90,
            what=f"the retried import\n{second.output()[-3000:]}",
        )

    assert Patient.objects.count() == len(sample_rows("Patient"))
    job = ProcrastinateJob.objects.get(pk=upload.job_id)
    assert (job.status, job.attempts) == ("succeeded", 2)
