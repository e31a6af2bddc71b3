"""The backup file: one tar holding the database dump, the uploaded files and a manifest.

    database.dump      pg_dump --format=custom of the whole database
    media/<path>       every file under MEDIA_ROOT
    manifest.json      when, what database, the migration state, rows per table, the audit
                       chain head, and the SHA-256 and size of every other member

The manifest comes last, written once every member's SHA-256 is known. A restore checks
every member against it before it writes anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path, PurePosixPath
from typing import IO, Any

from hms.backup.tools import BackupError

FORMAT = "hms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"
CHUNK = 1024 * 1024


class _Hashing:
    """Reads through to `raw`, hashing what passes (tarfile copies from it by `read`)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    return info


def add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as source:
        stat = os.fstat(source.fileno())
        hashing = _Hashing(source)
        tar.addfile(_tarinfo(name, stat.st_size, stat.st_mtime), hashing)
    return {"sha256": hashing.sha256.hexdigest(), "size": stat.st_size}


def add_manifest(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    tar.addfile(_tarinfo(MANIFEST, len(data), time.time()), io.BytesIO(data))


def media_files(root: Path) -> list[tuple[str, Path]]:
    """(member name, path) of every regular file under `root`; links are not followed."""
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for file in sorted(files):
            path = Path(folder) / file
            if path.is_file() and not path.is_symlink():
                found.append((f"{MEDIA}/{path.relative_to(root).as_posix()}", path))
    return found


def media_path(name: str, media_root: Path) -> Path:
    """Where member `name` (media/…) belongs under `media_root`."""
    return media_root.joinpath(*PurePosixPath(name).parts[1:])


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    if name == DUMP:
        return True
    return (
        len(parts) > 1
        and parts[0] == MEDIA
        and not PurePosixPath(name).is_absolute()
        and not any(part in ("..", "") for part in parts)
    )


def read_manifest(tar: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        source = tar.extractfile(tar.getmember(MANIFEST))
        manifest = json.loads(source.read()) if source else None
    except (KeyError, ValueError) as exc:
        raise BackupError(f"{path} has no readable {MANIFEST}: it is not a backup of HMS.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup of HMS.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is a backup of format {manifest.get('format_version')}; this version of "
            f"HMS restores format {FORMAT_VERSION}."
        )
    return manifest


def extract_verified(
    tar: tarfile.TarFile, manifest: dict[str, Any], into: Path, path: Path
) -> dict[str, Path]:
    """Copy every member into the folder `into`, checking each SHA-256 and size against the
    manifest; raise, naming every problem, unless all match. Returns member → copy."""
    expected: dict[str, dict[str, Any]] = manifest.get("members", {})
    problems: list[str] = []
    copies: dict[str, Path] = {}
    for info in tar:
        name = info.name
        if name == MANIFEST:
            continue
        if name not in expected or not _safe(name) or not info.isfile() or name in copies:
            problems.append(f"{name}: not a member the manifest lists")
            continue
        copy = into.joinpath(*PurePosixPath(name).parts)
        copy.parent.mkdir(parents=True, exist_ok=True)
        sha256 = hashlib.sha256()
        source = tar.extractfile(info)
        with copy.open("xb") as target:
            while chunk := source.read(CHUNK):
                sha256.update(chunk)
                target.write(chunk)
        copies[name] = copy
        want = expected[name]
        if sha256.hexdigest() != want.get("sha256") or info.size != want.get("size"):
            problems.append(
                f"{name}: SHA-256 {sha256.hexdigest()[:16]}… ({info.size:,} bytes), the "
                f"manifest says {str(want.get('sha256'))[:16]}… ({want.get('size', 0):,} bytes)"
            )
    problems += [f"{name}: missing" for name in sorted(set(expected) - set(copies))]
    if DUMP not in expected:
        problems.append(f"{DUMP}: not in the manifest")
    if problems:
        raise BackupError(
            f"{path} is damaged, so nothing was restored:\n  " + "\n  ".join(problems)
        )
    return copies
