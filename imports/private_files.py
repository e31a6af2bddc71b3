"""Uploaded workbooks hold patients' data: their folders and files are the service user's
alone (0700 and 0600, whatever the process's umask lets others read elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(folder: Path) -> None:
    """Make `folder` (which must not exist) and its parent, the uploads' folder, readable by
    the service user only."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.parent.chmod(FOLDER_MODE)
    folder.mkdir(mode=FOLDER_MODE)
    folder.chmod(FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened: be exact


def private_file(path: Path) -> BinaryIO:
    """A new file at `path`, open for writing, readable by the service user only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    return os.fdopen(descriptor, "wb")
