"""What an .xlsx workbook unpacks to, read from its zip directory before openpyxl opens it.

An .xlsx file is a zip archive. A small one can unpack to far more than it weighs, and openpyxl
keeps every shared string (the sheets' text) in memory even in read-only mode: a 312 kB
workbook holding a few 5 MB strings grew a web worker from 110 MB to 400 MB. So an upload is
refused, with a message, when the archive declares more than HMS_IMPORT_MAX_UNZIPPED_MB in all,
more than HMS_IMPORT_MAX_SHARED_STRINGS_MB of shared strings, or one string longer than
Excel's own limit for a cell (32,767 characters). The sizes are the ones the zip directory
declares; zipfile (and so openpyxl) never unpacks a member past its declared size, so a
workbook that lies about them fails to open instead of growing.
"""

from __future__ import annotations

import zipfile
from typing import Any
from xml.etree.ElementTree import iterparse

from django.conf import settings

MB = 1024 * 1024
EXCEL_CELL_LIMIT = 32_767  # characters in one cell: Excel refuses to store more


class WorkbookTooLarge(ValueError):
    """The workbook would unpack past a limit; the message says which, for a person."""


def _longest_shared_string(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The length of the longest shared string (all runs of one `<si>` together), read as a
    stream, one string at a time."""
    longest = current = 0
    with archive.open(info) as stream:
        for _, element in iterparse(stream, events=("end",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "t":
                current += len(element.text or "")
            elif tag == "si":
                longest = max(longest, current)
                current = 0
                element.clear()
            if current > EXCEL_CELL_LIMIT:
                return current
    return longest


def check_workbook_size(source: Any) -> None:
    """Raise WorkbookTooLarge when the .xlsx `source` (a path or an open binary file) would
    unpack past the limits above; an open file is rewound. A file that is no zip archive is
    left for openpyxl to refuse."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            total = sum(info.file_size for info in members)
            limit = settings.HMS_IMPORT_MAX_UNZIPPED_MB
            if total > limit * MB:
                raise WorkbookTooLarge(
                    f"This workbook unpacks to {total / MB:,.0f} MB, more than the {limit} MB "
                    "an upload may unpack to. Remove what the import does not need (pictures, "
                    "other sheets) or split it, then upload it again."
                )
            strings = [m for m in members if m.filename.lower().endswith("sharedstrings.xml")]
            text = sum(info.file_size for info in strings)
            limit = settings.HMS_IMPORT_MAX_SHARED_STRINGS_MB
            if text > limit * MB:
                raise WorkbookTooLarge(
                    f"The text of this workbook (its shared strings) unpacks to "
                    f"{text / MB:,.0f} MB, more than the {limit} MB an upload may hold. "
                    "Split the workbook, or remove long notes, then upload it again."
                )
            for info in strings:
                longest = _longest_shared_string(archive, info)
                if longest > EXCEL_CELL_LIMIT:
                    raise WorkbookTooLarge(
                        f"A cell of this workbook holds more than {EXCEL_CELL_LIMIT:,} "
                        "characters, Excel's own limit for a cell. Shorten it, then upload "
                        "the workbook again."
                    )
    except zipfile.BadZipFile:
        pass  # not a zip: openpyxl says so in its own words
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
