"""Backups that restore: `manage.py backup` of a seeded hospital (issued invoices with their
PDFs, an uploaded workbook, audit rows), restored by `manage.py restore` in a separate process
into a fresh database on the same server, then compared table by table and file by file.

pg_dump reads only committed rows and `backup` opens its own snapshot, so every test commits
(transaction=True). Each fresh database is dropped at the end, whatever happened.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection

from hms.dbroles import as_owner, owner_of
from imports.services import workbook_upload_check
from imports.services.uploads import upload_path
from patients.models import Patient
from tests.billing.factories import issued
from tests.factories import PatientFactory
from tests.imports.helpers import SAMPLE_XLSX

pytestmark = pytest.mark.django_db(transaction=True)

SUBPROCESS_SECONDS = 300


@pytest.fixture
def media_root(settings, tmp_path, jobs_at_once) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"  # the upload's check runs in the test
    return settings.MEDIA_ROOT


@pytest.fixture
def hospital(media_root, admin_user) -> Path:
    """A small demo hospital, two issued invoices (PDFs stored in the database) and a
    checked workbook upload waiting for confirmation; returns the uploaded file's path
    (under MEDIA_ROOT). The workbook is checked first: on an empty hospital it is valid, so
    its file stays."""
    upload = workbook_upload_check(
        files=[SimpleUploadedFile("hospital.xlsx", SAMPLE_XLSX.read_bytes())], by=admin_user
    )
    call_command("seed_demo", patients=12, doctors=2, days=5, force=True, stdout=io.StringIO())
    billable = Patient.objects.filter(attendances__isnull=False).distinct().order_by("mrn")
    for patient in billable[:2]:
        issued(patient, by=admin_user)
    return upload_path(upload)


@pytest.fixture
def fresh_database(transactional_db) -> Iterator[str]:
    """An empty database on the test server (the test role may create databases)."""
    name = f"{connection.settings_dict['NAME'][:40]}_restore_{uuid.uuid4().hex[:8]}"
    # As an operator makes it: by the owner role (`createdb -O OWNER`), which may.
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield name
    finally:
        with as_owner(connection), connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_url(name: str, *, login: dict | None = None) -> str:
    """The URL of database `name` on the test server, as the application's role or `login`."""
    params = connection.get_connection_params()
    user, password = (
        (login["USER"], login["PASSWORD"])
        if login
        else (
            params.get("user", ""),
            params.get("password"),
        )
    )
    login_part = quote(str(user), safe="")
    if password:
        login_part += ":" + quote(str(password), safe="")
    host = quote(str(params.get("host", "")), safe="")  # a socket folder is a path
    return f"postgres://{login_part}@{host}:{params.get('port', 5432)}/{name}"


def _manage(*args: str, database: str, media: Path) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in its own process, on the database `database` and MEDIA_ROOT `media`,
    as an operator on the restoring machine runs it: the application's login in DATABASE_URL,
    the owner's in DATABASE_OWNER_URL."""
    env = {**os.environ, "DATABASE_URL": _database_url(database), "HMS_MEDIA_ROOT": str(media)}
    env.pop("DATABASE_OWNER_URL", None)
    owner = owner_of(connection)
    if owner:
        env["DATABASE_OWNER_URL"] = _database_url(database, login=owner)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_SECONDS,
    )


def _connect(name: str) -> psycopg.Connection:
    params = {
        key: value
        for key, value in connection.get_connection_params().items()
        if key in ("host", "port", "user", "password")
    }
    return psycopg.connect(**params, dbname=name, autocommit=True)


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return {
        table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for (table,) in tables
    }


def _invoice_pdfs(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(number, SHA-256 recomputed from the stored PDF, SHA-256 stored beside it)."""
    rows = conn.execute(
        "SELECT number, pdf, pdf_sha256 FROM billing_invoice WHERE pdf IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [(number, hashlib.sha256(pdf).hexdigest(), stored) for number, pdf, stored in rows]


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _manifest(backup: Path) -> dict:
    with tarfile.open(backup) as tar:
        return json.load(tar.extractfile("manifest.json"))


def _backup(path: Path) -> Path:
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def test_it_restores_a_hospital_into_a_fresh_database(hospital, fresh_database, tmp_path):
    with _connect(connection.settings_dict["NAME"]) as original:
        counts, pdfs = _row_counts(original), _invoice_pdfs(original)
    backup = _backup(tmp_path / "hospital.tar")
    restored_media = tmp_path / "restored-media"

    result = _manage("restore", str(backup), database=fresh_database, media=restored_media)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "every count matches the backup" in result.stdout
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    manifest = _manifest(backup)
    assert manifest["row_counts"] == counts
    with _connect(fresh_database) as restored:
        assert _row_counts(restored) == counts
        assert _invoice_pdfs(restored) == pdfs
    assert len(pdfs) == 2 and all(recomputed == stored for _, recomputed, stored in pdfs)
    assert counts["patients_patient"] == 12 and counts["core_auditevent"] > 0
    uploaded = _files(settings.MEDIA_ROOT)
    assert uploaded[hospital.relative_to(settings.MEDIA_ROOT).as_posix()] == (
        SAMPLE_XLSX.read_bytes()
    )
    assert _files(restored_media) == uploaded
    if "audit_verify" in get_commands():
        head = manifest.get("audit_chain_head")
        expect = ["--expect-head", head] if head else []
        verify = _manage("audit_verify", *expect, database=fresh_database, media=restored_media)
        assert verify.returncode == 0, verify.stdout + verify.stderr


def test_it_refuses_a_damaged_backup_before_writing_anything(media_root, fresh_database, tmp_path):
    PatientFactory.create_batch(3)
    (media_root / "imports").mkdir(parents=True)
    (media_root / "imports" / "patients.csv").write_text("PatientID\n1\n")
    backup = _backup(tmp_path / "hospital.tar")
    with tarfile.open(backup) as tar:
        dump = tar.getmember("database.dump")
    damaged = bytearray(backup.read_bytes())
    damaged[dump.offset_data + dump.size // 2] ^= 0x01  # one bit of the dump's data
    backup.write_bytes(damaged)
    restored_media = tmp_path / "restored-media"

    result = _manage("restore", str(backup), database=fresh_database, media=restored_media)

    assert result.returncode == 1
    assert "database.dump: SHA-256" in result.stderr
    assert "damaged, so nothing was restored" in result.stderr
    with _connect(fresh_database) as restored:
        assert _row_counts(restored) == {}
    assert not restored_media.exists() or _files(restored_media) == {}


def test_it_refuses_to_restore_into_a_database_that_has_tables(media_root, tmp_path):
    PatientFactory.create_batch(2)
    backup = _backup(tmp_path / "hospital.tar")
    PatientFactory()

    with pytest.raises(CommandError, match=r"is not empty: it has \d+ tables and \d+ applied"):
        call_command("restore", str(backup), stdout=io.StringIO())

    assert Patient.objects.count() == 3


def test_it_never_replaces_a_file_unless_forced(media_root, tmp_path):
    PatientFactory()
    path = tmp_path / "hospital.tar"
    path.write_text("last week's backup")

    with pytest.raises(CommandError, match="already exists"):
        _backup(path)
    assert path.read_text() == "last week's backup"

    call_command("backup", str(path), force=True, stdout=io.StringIO())
    assert _manifest(path)["row_counts"]["patients_patient"] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".hospital.tar*")), "the work folder is left behind"


def test_it_refuses_a_pg_dump_older_than_the_server(media_root, tmp_path, settings):
    old = tmp_path / "pg9" / "pg_dump"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old.chmod(0o755)
    settings.HMS_PG_BIN = str(old.parent)
    connection.ensure_connection()
    major = connection.pg_version // 10000

    with pytest.raises(CommandError, match=f"needs pg_dump of PostgreSQL {major} or newer"):
        _backup(tmp_path / "hospital.tar")

    assert not (tmp_path / "hospital.tar").exists()
