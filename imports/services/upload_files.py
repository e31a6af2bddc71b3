"""Where an upload's files wait (under MEDIA_ROOT) until it reaches a final status."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from imports.models import WorkbookUpload
from imports.private_files import private_file, private_folder
from imports.workbook import sheet_for

# Under MEDIA_ROOT: where uploaded workbooks wait.
UPLOAD_DIR = "imports"


def upload_folder(upload: WorkbookUpload) -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR / upload.folder


def upload_path(upload: WorkbookUpload) -> Path:
    """The folder an upload's files wait in (or the .xlsx in it): what `workbook_import` reads."""
    folder = upload_folder(upload)
    return folder / upload.workbook_file if upload.workbook_file else folder


def delete_files_on_commit(upload: WorkbookUpload) -> None:
    folder = upload_folder(upload)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def save_files(files: list[UploadedFile], folder: Path) -> tuple[str, int, str]:
    """Write the uploaded files into `folder`: (the .xlsx's name or "", bytes, SHA-256)."""
    private_folder(folder)
    digest = hashlib.sha256()
    size = 0
    workbook_file = ""
    for upload in sorted(files, key=lambda f: f.name):
        if upload.name.lower().endswith(".xlsx"):
            workbook_file = target = "workbook.xlsx"
        else:
            # Named after its sheet: never after what the browser sent.
            target = f"{sheet_for(upload.name)}.csv"
        with private_file(folder / target) as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    return workbook_file, size, digest.hexdigest()
