"""A workbook upload cannot grow the web worker or stay on disk: caps on what an .xlsx unpacks
to, checked before it is kept or read; uploads whose check or import was interrupted expire
with the rest; upload folders and files are the service user's alone."""

import datetime
import io
import os
import stat
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from imports.archive import WorkbookTooLarge, check_workbook_size
from imports.models import UploadStatus, WorkbookUpload
from imports.private_files import private_file, private_folder
from imports.services import uploads
from imports.workbook import read_workbook
from tests.factories import UserFactory
from tests.imports.helpers import SAMPLE_XLSX

pytestmark = pytest.mark.django_db

SST = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _with_shared_strings(*strings: str) -> bytes:
    """The sample workbook with `strings` as its shared strings (xl/sharedStrings.xml)."""
    out = io.BytesIO()
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    shared = f'<sst xmlns="{SST}" count="{len(strings)}">{items}</sst>'.encode()
    with zipfile.ZipFile(SAMPLE_XLSX) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if not info.filename.lower().endswith("sharedstrings.xml"):
                target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
        target.writestr("xl/sharedStrings.xml", shared, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _confirmed(status: str) -> dict:
    if status != UploadStatus.IMPORTING:
        return {}
    return {"confirmed_by": UserFactory(), "confirmed_at": timezone.now()}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_it_refuses_a_cell_longer_than_excel_allows_before_keeping_anything(
    login, admin_user, media_root
):
    # A few kilobytes compressed, five million characters unpacked.
    workbook = _with_shared_strings("x" * 5_000_000)
    assert len(workbook) < 100_000

    response = login(admin_user).post(
        reverse("imports:upload"), {"files": [SimpleUploadedFile("hospital.xlsx", workbook)]}
    )

    assert response.status_code == 200
    assert "more than 32,767 characters, Excel&#x27;s own limit" in response.content.decode()
    assert not WorkbookUpload.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.xlsx"))


def test_it_refuses_a_workbook_whose_text_unpacks_past_the_limit(settings):
    settings.HMS_IMPORT_MAX_SHARED_STRINGS_MB = 1
    workbook = io.BytesIO(_with_shared_strings(*["y" * 30_000] * 40))  # 1.2 MB of text

    with pytest.raises(WorkbookTooLarge, match="shared strings"):
        check_workbook_size(workbook)
    assert workbook.tell() == 0  # rewound for whoever reads it next


def test_it_refuses_a_workbook_that_unpacks_past_the_limit(settings):
    settings.HMS_IMPORT_MAX_UNZIPPED_MB = 0

    with pytest.raises(WorkbookTooLarge, match="more than the 0 MB an upload may unpack to"):
        check_workbook_size(SAMPLE_XLSX)


def test_it_takes_the_sample_workbook():
    check_workbook_size(SAMPLE_XLSX)  # raises nothing


def test_it_reports_the_limit_when_the_command_reads_the_workbook(tmp_path):
    path = tmp_path / "hospital.xlsx"
    path.write_bytes(_with_shared_strings("z" * 40_000))

    book = read_workbook(path)

    assert book.unreadable
    assert "Excel's own limit" in book.problems[0].message


@pytest.mark.parametrize("status", [UploadStatus.CHECKING, UploadStatus.IMPORTING])
def test_it_removes_an_interrupted_uploads_files_after_the_keep_hours(
    settings, media_root, django_capture_on_commit_callbacks, status
):
    folder = media_root / "imports" / ("a" * 32)
    folder.mkdir(parents=True)
    (folder / "workbook.xlsx").write_bytes(b"patients")
    upload = WorkbookUpload.objects.create(
        uploaded_by=UserFactory(),
        original_name="hospital.xlsx",
        folder="a" * 32,
        workbook_file="workbook.xlsx",
        size_bytes=8,
        sha256="0" * 64,
        status=status,
        **_confirmed(status),
    )
    long_ago = timezone.now() - datetime.timedelta(hours=settings.HMS_IMPORT_KEEP_HOURS + 1)
    WorkbookUpload.objects.filter(pk=upload.pk).update(created_at=long_ago, updated_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        uploads._expire_stale_uploads(now=timezone.now())

    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED
    assert "was interrupted" in upload.report["discarded"]
    assert not folder.exists()


def test_it_keeps_an_upload_whose_job_moved_recently(settings, media_root):
    upload = WorkbookUpload.objects.create(
        uploaded_by=UserFactory(),
        original_name="hospital.xlsx",
        folder="b" * 32,
        workbook_file="workbook.xlsx",
        size_bytes=8,
        sha256="0" * 64,
        status=UploadStatus.IMPORTING,
        **_confirmed(UploadStatus.IMPORTING),
    )

    uploads._expire_stale_uploads(now=timezone.now())

    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTING


def test_it_makes_upload_folders_and_files_readable_by_the_service_user_only(tmp_path):
    old = os.umask(0)  # even a process that lets everyone read what it writes
    try:
        folder = tmp_path / "media" / "imports" / "c0ffee"
        private_folder(folder)
        with private_file(folder / "workbook.xlsx") as out:
            out.write(b"patients")
    finally:
        os.umask(old)

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "workbook.xlsx").stat().st_mode) == 0o600
