"""Is an SQLite file somewhere it can be corrupted? Network shares and synced folders.

SQLite's locking does not work reliably over network file systems, WAL cannot work across
machines at all, and sync tools (OneDrive, Dropbox, …) copy the file and its ``-wal``
separately (RELIABILITY_PERF.md, "SQLite on network drives"). A second PC needs the
PostgreSQL mode instead (docs/postgresql.md). What can be detected is detected:

- Windows: UNC paths (``\\\\server\\share\\…``), and drive letters Windows reports as remote
  (``GetDriveTypeW`` = ``DRIVE_REMOTE``: mapped network drives, which SQLite's own UNC check
  misses).
- Linux: the file system the file lives on, from ``/proc/mounts`` (NFS, SMB/CIFS, SSHFS,
  WebDAV, …).
- Everywhere: a folder on the way whose name is a sync tool's (OneDrive, Dropbox, Google
  Drive, iCloud Drive, …), and Windows' OneDrive folders named by environment variables.

Nothing here opens the database; a location that cannot be examined is not reported.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath

# File systems whose locking SQLite cannot trust (Linux /proc/mounts names).
NETWORK_FILE_SYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "davfs",
        "sshfs",
        "fuse.sshfs",
        "fuse.davfs2",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.gvfsd-fuse",
        "fuse.glusterfs",
        "fuse.cephfs",
    }
)

# Folder names sync tools create (compared case-insensitively). "OneDrive - 組織名" is the
# business OneDrive; "Mobile Documents" holds iCloud Drive on macOS.
SYNC_FOLDER_NAMES = frozenset(
    {
        "onedrive",
        "dropbox",
        "google drive",
        "googledrive",
        "my drive",
        "マイドライブ",
        "icloud drive",
        "iclouddrive",
        "mobile documents",
        "box sync",
        "nextcloud",
        "owncloud",
        "pcloud drive",
        "synologydrive",
        "seafile",
        "yandex.disk",
    }
)
SYNC_FOLDER_PREFIXES = ("onedrive - ", "dropbox (")
# Windows sets these to the OneDrive folders it syncs.
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")

DRIVE_REMOTE = 4  # GetDriveTypeW


class Risk(enum.Enum):
    NETWORK = "network"  # a network share: locking unreliable, WAL impossible across PCs
    SYNCED = "synced"  # a synced folder: the tool may copy or replace the file mid-write


@dataclass(frozen=True, slots=True)
class LocationWarning:
    risk: Risk
    reason: str  # what was found: the file system, drive or folder (for logs and db check)

    @property
    def message_code(self) -> str:
        return f"location.{self.risk.value}"


def _windows_drive_type(root: str) -> int | None:
    if os.name != "nt":
        return None
    import ctypes

    kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009  (Windows only)
    return int(kernel32.GetDriveTypeW(root))


def _read_mounts() -> str | None:
    try:
        return Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _unescape_mount(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mount_file_system(path: PurePath, mounts: str) -> tuple[str, str] | None:
    """(mount point, file system type) of the mount holding ``path`` (an absolute path)."""
    best: tuple[str, str] | None = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point, fs_type = _unescape_mount(fields[1]), fields[2]
        inside = point == "/" or path == PurePath(point) or PurePath(point) in path.parents
        if inside and (best is None or len(point) > len(best[0])):
            best = (point, fs_type)
    return best


def _is_unc(text: str) -> bool:
    return text.startswith(("\\\\", "//")) and not text.startswith(("\\\\?\\", "\\\\.\\"))


def _sync_folder(path: PurePath, environ: Mapping[str, str]) -> str | None:
    for part in path.parts[:-1]:
        name = part.strip().lower()
        if name in SYNC_FOLDER_NAMES or name.startswith(SYNC_FOLDER_PREFIXES):
            return part
    text = str(path).lower()
    for variable in ONEDRIVE_VARIABLES:
        folder = environ.get(variable, "").rstrip("\\/").lower()
        if folder and text.startswith(folder + ("\\" if "\\" in folder else "/")):
            return environ[variable]
    return None


def check_location(
    path: str | PurePath,
    *,
    windows: bool | None = None,
    mounts: str | None = None,
    drive_type: Callable[[str], int | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LocationWarning | None:
    """Why an SQLite file at ``path`` is at risk, or None when nothing was found.

    The keyword arguments stand in for the machine in tests: ``windows`` (default: this
    machine), ``mounts`` (/proc/mounts), ``drive_type`` (GetDriveTypeW) and ``environ``.
    """
    windows = sys.platform == "win32" if windows is None else windows
    environ = os.environ if environ is None else environ
    text = str(path)
    if windows:
        if _is_unc(text):
            return LocationWarning(Risk.NETWORK, text)
        where: PurePath = PureWindowsPath(text)
        drive = where.drive
        if drive and len(drive) == 2 and drive[1] == ":":
            kind = (drive_type or _windows_drive_type)(drive + "\\")
            if kind == DRIVE_REMOTE:
                return LocationWarning(Risk.NETWORK, drive)
    else:
        where = PurePath(os.path.realpath(text))
        if _is_unc(text):  # a Samba path typed on Linux is no local file either
            return LocationWarning(Risk.NETWORK, text)
        table = _read_mounts() if mounts is None else mounts
        if table is not None:
            found = mount_file_system(where, table)
            if found is not None and found[1].lower() in NETWORK_FILE_SYSTEMS:
                return LocationWarning(Risk.NETWORK, f"{found[1]} ({found[0]})")
    folder = _sync_folder(where, environ)
    if folder is not None:
        return LocationWarning(Risk.SYNCED, folder)
    return None
