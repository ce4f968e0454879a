"""Backups of the SQLite file: daily, manual and pre-migration copies, retention, and restore."""

from __future__ import annotations

import builtins
import errno
import os
import re
import shutil
import sqlite3
import stat
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from consult_desk.db.engine import Database, sqlite_path
from consult_desk.db.migrate import (
    SchemaState,
    backup_sqlite,
    current_revision,
    head_revision,
    open_or_upgrade,
    schema_state,
)
from consult_desk.db.models import Staff
from consult_desk.domain.errors import SchemaError, StorageError
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services import audit

DAILY = "daily"
MANUAL = "manual"
PRE_MIGRATION = "pre-migration"
REPLACED = "replaced"  # the database file a restore took out of service; never pruned
KINDS = (DAILY, MANUAL, PRE_MIGRATION)  # what make() accepts
KEEP_DAILY = 14  # daily backups kept; manual, pre-migration and replaced files are never pruned

FOLDER_NAME = "backups"
SUFFIX = ".sqlite"
STAMP_FORMAT = "%Y%m%d-%H%M%S"
FILE_MODE = 0o600  # backups hold the same personal data as the database
FOLDER_MODE = 0o700
# A database file is only consistent together with these; a stale one next to a swapped-in file
# would be replayed into it (-wal) or rolled back into it (-journal) and corrupt it.
SIDECARS = ("-wal", "-shm", "-journal")
RECORD_KIND = "backup"  # in the audit trail: actions "backup" and "restore_backup"
# How long a restore waits for another connection's save to finish before refusing.
CHECKPOINT_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One file in the backup folder; ``created`` is local time, read from the file name."""

    path: Path
    kind: str
    created: datetime
    size: int


class BackupService:
    """Backups and restore of the SQLite database file behind ``db``.

    - ``make`` writes a verified, owner-only copy while other connections keep working.
    - ``daily_if_due`` makes at most one daily backup per local date and prunes old dailies.
      It needs no role: it runs at start-up for whoever signs in, and chooses nothing.
    - ``restore`` checks a file completely before touching the database, keeps the file it
      replaces, and leaves the original in place if anything fails before the final rename.
      The caller must close its own sessions first; other processes must not have the file open.
    - ``make`` and ``restore`` need Kind.BACKUP / ADMINISTER, ``list`` Kind.BACKUP / READ; a
      refusal changes nothing. Every backup made and every restore is audited.
    - On PostgreSQL ``make`` and ``restore`` raise ``backup.not_sqlite`` (the server's
      tools do backups there); ``list`` is empty and ``daily_if_due`` does nothing.
    """

    def __init__(self, db: Database, principal: Principal, folder: Path | None = None) -> None:
        self._db = db
        self._principal = principal
        self._database = sqlite_path(str(db.engine.url))
        self._default_folder = folder is None
        if folder is None and self._database is not None:
            folder = self._database.parent / FOLDER_NAME
        self.folder = folder

    @property
    def available(self) -> bool:
        """Whether this database is a file the app backs up (SQLite); PostgreSQL's backups
        are the server's (pg_dump, docs/postgresql.md)."""
        return self._database is not None

    def make(self, kind: str, *, now: datetime | None = None) -> Path:
        """Write a ``kind`` backup named ``<stem>-<kind>-<YYYYmmdd-HHMMSS>.sqlite``."""
        if kind not in KINDS:
            raise ValueError(f"unknown backup kind: {kind}")
        self._principal.require(Kind.BACKUP, Action.ADMINISTER)
        return self._make(kind, now)

    def _make(self, kind: str, now: datetime | None) -> Path:
        database, folder = self._require_sqlite()
        target = self._free_name(database, folder, kind, _local(now))
        try:
            backup_sqlite(self._db.engine, target)
            _fsync_file(target)
            _fsync_dir(folder)
        except BaseException as exc:
            if not (isinstance(exc, SchemaError) and exc.code == "backup.target_exists"):
                target.unlink(missing_ok=True)  # a half-written or unverified copy is no backup
            if isinstance(exc, OSError):
                raise _storage_error(exc) from exc
            if isinstance(exc, sqlite3.OperationalError):
                raise _sqlite_storage_error(exc) from exc
            raise
        self._audit("backup", {"file": target.name, "kind": kind})
        return target

    def copy_to(self, target: Path) -> Path:
        """A manual backup to a file of the administrator's choosing (``db backup --to``)."""
        self._principal.require(Kind.BACKUP, Action.ADMINISTER)
        self._require_sqlite()
        try:
            backup_sqlite(self._db.engine, target)
        except OSError as exc:
            raise _storage_error(exc) from exc
        except sqlite3.OperationalError as exc:
            raise _sqlite_storage_error(exc) from exc
        self._audit("backup", {"file": str(target), "kind": MANUAL})
        return target

    def daily_if_due(self, now: datetime | None = None) -> Path | None:
        """Make today's daily backup unless one exists, then keep only the newest KEEP_DAILY."""
        if self._database is None:
            return None
        now = _local(now)
        made = None
        if not any(f.kind == DAILY and f.created.date() == now.date() for f in self._files()):
            made = self._make(DAILY, now)
        dailies = [f for f in self._files() if f.kind == DAILY]  # newest first
        for old in dailies[KEEP_DAILY:]:
            old.path.unlink(missing_ok=True)
        return made

    def list(self) -> builtins.list[BackupFile]:
        """This database's backups and replaced files in the folder, newest first."""
        self._principal.require(Kind.BACKUP, Action.READ)
        return self._files()

    def _files(self) -> builtins.list[BackupFile]:
        if self._database is None or self.folder is None or not self.folder.is_dir():
            return []
        pattern = re.compile(
            rf"^{re.escape(self._database.stem)}-(?P<kind>[a-z0-9-]+?)"
            rf"-(?P<stamp>\d{{8}}-\d{{6}})(?:-(?P<n>\d+))?{re.escape(SUFFIX)}$"
        )
        found = []
        for path in self.folder.iterdir():
            match = pattern.match(path.name)
            if match is None:
                continue
            try:
                created = datetime.strptime(match["stamp"], STAMP_FORMAT)
                status = path.stat()
            except (ValueError, FileNotFoundError):  # not a date; pruned by another instance
                continue
            if not stat.S_ISREG(status.st_mode):
                continue
            kind = match["kind"]
            if kind.startswith("pre-"):
                kind = PRE_MIGRATION  # open_or_upgrade labels its copies pre-<head revision>
            order = (created, int(match["n"] or 0), path.name)
            found.append((order, BackupFile(path, kind, created, status.st_size)))
        found.sort(key=lambda item: item[0], reverse=True)
        return [backup for _, backup in found]

    def restore(self, source: Path, *, now: datetime | None = None) -> Path:
        """Put the backup ``source`` in place of the database; return the kept replaced file.

        Refuses (and changes nothing) unless the file is a sound consult-desk database this
        build can open. A restored file older than this build is upgraded afterwards.
        """
        self._principal.require(Kind.BACKUP, Action.ADMINISTER)
        database, folder = self._require_sqlite()
        source = Path(source)
        if not source.is_file() or not os.access(source, os.R_OK):
            raise SchemaError("restore.not_found", str(source))
        if source.resolve() == database.resolve():
            raise SchemaError("restore.same_file", str(source))
        if _has_content(_sidecar(source, "-wal")):
            # Committed data may still be in its WAL; a byte copy of the main file would lose it.
            raise SchemaError("restore.source_in_use", str(source))

        temp: Path | None = None
        replaced: Path | None = None
        installed = False
        try:
            # Check the copy, not the source: what was verified is exactly what gets installed.
            temp = _copy_durably(source, database.parent)
            revision = _verify(temp)
            self._db.engine.dispose()  # our pooled connections must not outlive their file
            _checkpoint(database)
            replaced = self._free_name(database, folder, REPLACED, _local(now))
            # Copy rather than move: until the rename below, the original stays where it is.
            _copy_file(database, replaced)
            _fsync_dir(folder)
            for suffix in SIDECARS:
                _sidecar(database, suffix).unlink(missing_ok=True)
            os.replace(temp, database)
            installed = True
            _fsync_dir(database.parent)
        except BaseException as exc:
            if temp is not None and not installed:
                _remove_with_sidecars(temp)
            if replaced is not None and not installed:
                replaced.unlink(missing_ok=True)  # the original is still in service
            if isinstance(exc, OSError):
                raise _storage_error(exc) from exc
            raise
        assert replaced is not None
        if revision != head_revision():
            open_or_upgrade(self._db.engine)  # makes its own pre-migration backup first
        # Recorded in the restored file, which is the trail from now on; the replaced file
        # keeps its own trail up to this moment.
        self._audit(
            "restore_backup", {"file": source.name, "replaced": replaced.name, "revision": revision}
        )
        return replaced

    def _audit(self, action: str, changes: dict[str, Any]) -> None:
        with self._db.write() as session:
            actor = self._principal.staff_id
            if actor is not None and session.get(Staff, actor) is None:
                # A restored file may predate this account: name the person instead.
                changes = {**changes, "staff": self._principal.login}
                actor = None
            audit.record(session, actor, action, RECORD_KIND, None, changes)

    def _require_sqlite(self) -> tuple[Path, Path]:
        if self._database is None or self.folder is None:
            raise SchemaError("backup.not_sqlite")
        return self._database, self.folder

    def _ensure_folder(self, folder: Path) -> None:
        existed = folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        # A configured folder (a share, a second drive) keeps the permissions it was given; the
        # default one may have been created by migrate.backup_sqlite under the plain umask.
        if not existed or self._default_folder:
            os.chmod(folder, FOLDER_MODE)

    def _free_name(self, database: Path, folder: Path, kind: str, now: datetime) -> Path:
        try:
            self._ensure_folder(folder)
        except OSError as exc:
            raise _storage_error(exc) from exc
        base = f"{database.stem}-{kind}-{now.strftime(STAMP_FORMAT)}"
        target = folder / f"{base}{SUFFIX}"
        n = 1
        while target.exists():  # two backups in the same second
            target = folder / f"{base}-{n}{SUFFIX}"
            n += 1
        return target


def _local(now: datetime | None) -> datetime:
    # File names and "today" are the user's local wall clock, as naive datetimes.
    if now is None:
        return datetime.now()
    return now.astimezone().replace(tzinfo=None) if now.tzinfo else now


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _has_content(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _remove_with_sidecars(path: Path) -> None:
    for candidate in (path, *(_sidecar(path, s) for s in SIDECARS)):
        candidate.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Makes a rename durable on POSIX; Windows cannot open a directory, and NTFS needs no help.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_copy(fd: int, source: Path) -> None:
    with open(fd, "wb", closefd=False) as out, source.open("rb") as inp:
        shutil.copyfileobj(inp, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())


def _copy_file(source: Path, target: Path) -> None:
    """Copy to a new owner-only file and flush it to disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # Windows
    fd = os.open(target, flags, FILE_MODE)
    try:
        try:
            _write_copy(fd, source)
        finally:
            os.close(fd)  # before any unlink: Windows cannot delete an open file
        os.chmod(target, FILE_MODE)  # O_CREAT's mode is filtered by the umask
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _copy_durably(source: Path, folder: Path) -> Path:
    """Copy ``source`` to a hidden owner-only temp file in ``folder`` (same file system)."""
    fd, name = tempfile.mkstemp(prefix=".restore-", suffix=SUFFIX, dir=folder)
    try:
        try:
            _write_copy(fd, source)
        finally:
            os.close(fd)
        os.chmod(name, FILE_MODE)  # it becomes the database: readable and writable by us only
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _verify(path: Path) -> str:
    """Integrity and schema revision of a candidate file; returns its revision."""
    try:
        with closing(sqlite3.connect(path)) as raw:
            rows = raw.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed", ...
        raise SchemaError("restore.damaged", str(exc)) from exc
    if rows != [("ok",)]:
        raise SchemaError("restore.damaged", "; ".join(str(r[0]) for r in rows[:5]))
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        state = schema_state(engine)
        revision = current_revision(engine)
    except DBAPIError as exc:
        raise SchemaError("restore.damaged", str(exc)) from exc
    finally:
        engine.dispose()
    if state is SchemaState.TOO_NEW:
        raise SchemaError("restore.too_new", revision or "")
    if state in (SchemaState.EMPTY, SchemaState.FOREIGN) or revision is None:
        raise SchemaError("restore.not_consult_desk")
    return revision


def _checkpoint(database: Path) -> None:
    """Move every committed page from the WAL into the main file before it is copied."""
    try:
        with closing(sqlite3.connect(database, timeout=CHECKPOINT_WAIT_S)) as raw:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as exc:
        raise _sqlite_storage_error(exc) from exc
    if busy or _has_content(_sidecar(database, "-wal")):
        # Someone else is reading or writing: swapping the file now would lose their work.
        raise SchemaError("restore.in_use", str(database))


def _storage_error(exc: OSError) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return StorageError("storage.disk_full", str(exc))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError("storage.read_only", str(exc))
    return StorageError("storage.io", str(exc))


def _sqlite_storage_error(exc: sqlite3.OperationalError) -> StorageError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StorageError("storage.locked", text)
    if "full" in text:
        return StorageError("storage.disk_full", text)
    if "readonly" in text or "read-only" in text:
        return StorageError("storage.read_only", text)
    return StorageError("storage.io", text)
