"""Backups of the whole deployment (docs/decisions/0029): the database through ``pg_dump``/``pg_restore`` in custom
format, the files apps keep outside it (media's blobs, local or S3), and a ``manifest.json`` with what a restore
checks: sha256 of every file, per-table row counts, migration heads.

The kernel imports no app: an app with stored files registers them here with :func:`register_files` from its
``AppConfig.ready()`` (media does), and the ``backup``/``restore`` commands walk the registry.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
CHUNK = 1024 * 1024
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for an operator."""


@dataclass(frozen=True)
class FileSet:
    """Files an app keeps outside the database. ``names()`` lists the key of every stored object (streaming, in any
    order), ``open(key)`` reads one as a stream, ``exists(key)``/``size(key)`` look at one, ``put(key, stream)``
    stores one under exactly ``key`` (replacing what is there), ``where()`` says where they live."""

    names: Callable[[], Iterable[str]]
    open: Callable[[str], AbstractContextManager[IO[bytes]]]
    exists: Callable[[str], bool]
    size: Callable[[str], int]
    put: Callable[[str, IO[bytes]], None]
    where: Callable[[], str]


_file_sets: dict[str, FileSet] = {}


def register_files(name: str, files: FileSet) -> None:
    """Back up ``files`` under the folder ``name`` of every backup (``media``: media's blobs).

    :raises ValueError: a name that is not a short lower-case identifier, or one already registered.
    """
    if not name.isidentifier() or not name.islower() or name in {"database", "manifest"}:
        raise ValueError(f"file set name must be a lower-case identifier, got {name!r}")
    if name in _file_sets and _file_sets[name] != files:
        raise ValueError(f"file set {name!r} is already registered")
    _file_sets[name] = files


def file_sets() -> dict[str, FileSet]:
    return dict(_file_sets)


# --- PostgreSQL ----------------------------------------------------------------------------------------------


def libpq_env() -> dict[str, str]:
    """The environment a libpq tool (pg_dump, pg_restore) needs to reach the configured database: PGHOST, PGPORT,
    PGUSER, PGDATABASE and the password and TLS options the way Django's ``dbshell`` passes them (in the
    environment, never on the command line where ``ps`` shows it)."""
    settings_dict = connection.settings_dict
    _args, env = connection.client.settings_to_cmd_args_env(settings_dict, [])
    result = {**os.environ, **(env or {})}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGDATABASE", "NAME")):
        value = settings_dict.get(key)
        if value:
            result[variable] = str(value)
        else:
            result.pop(variable, None)
    return result


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found on PATH: install the PostgreSQL client tools (as new as the server)")
    return path


def _run(command: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own argument list, no shell
        command, env=libpq_env(), capture_output=True, text=True, errors="replace", check=False
    )
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()] or lines
        reason = errors[0] if errors else f"exit status {done.returncode}"  # the first error, not a warning
        raise BackupError(f"{Path(command[0]).name} failed: {reason}")


def tables(cursor: Any) -> list[tuple[str, str]]:
    """Every ordinary and partitioned table of every schema but PostgreSQL's own, sorted."""
    cursor.execute(
        """
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg\\_%%'
        ORDER BY 1, 2
        """,
        [list(SYSTEM_SCHEMAS)],
    )
    return [(schema, table) for schema, table in cursor.fetchall()]


def _quoted(schema: str, table: str) -> str:
    return f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(table)}"


def row_counts(cursor: Any) -> dict[str, int]:
    """Exact row counts of :func:`tables`, by ``schema.table``."""
    counts = {}
    for schema, table in tables(cursor):
        cursor.execute(f"SELECT count(*) FROM {_quoted(schema, table)}")
        counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def tables_with_rows(cursor: Any) -> list[str]:
    found = []
    for schema, table in tables(cursor):
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quoted(schema, table)})")
        if cursor.fetchone()[0]:
            found.append(f"{schema}.{table}")
    return found


def _applied_heads(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return {}
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


def code_heads() -> dict[str, str]:
    """The last migration of each app in this code."""
    heads: dict[str, str] = {}
    for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes():
        heads[app] = max(heads.get(app, name), name)
    return heads


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _safe_key(key: str) -> PurePosixPath:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or any(part in {"", ".", ".."} for part in key.split("/")):
        raise BackupError(f"refusing a stored object with an unsafe name: {key!r}")
    return path


# --- backup --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    path: Path
    manifest: dict[str, Any]


def backup(output: Path, *, media: bool = True) -> Written:
    """Write a backup folder at ``output`` (which must not exist): ``database.dump``, one folder per file set and
    ``manifest.json``. It is built under a hidden temporary name beside ``output`` and renamed at the very end, so
    a folder named ``output`` is always complete; a failure removes the temporary one.

    :raises BackupError: ``output`` exists, pg_dump is missing or fails, a stored object cannot be read.
    """
    output = output.absolute()
    if output.exists():
        raise BackupError(f"{output} already exists: name a new backup")
    pg_dump = _tool("pg_dump")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.parent / f".{output.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        manifest = _write(partial, pg_dump, media=media)
        with (partial / MANIFEST).open("w", encoding="utf-8") as stream:
            json.dump(manifest, stream, indent=2, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        partial.rename(output)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Written(path=output, manifest=manifest)


def _write(folder: Path, pg_dump: str, *, media: bool) -> dict[str, Any]:
    created_at = timezone.now()
    # One snapshot for the counts and the dump: pg_dump joins this transaction's snapshot (--snapshot), so the
    # manifest's row counts are exactly those of the dump even while the application keeps writing.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_database(), current_setting('server_version')")
        snapshot, database, server_version = cursor.fetchone()
        counts = row_counts(cursor)
        heads = _applied_heads(cursor)
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={folder / DUMP}"])
    dump_sha, dump_size = sha256_of(folder / DUMP)
    files: dict[str, Any] = {}
    if media:
        for name, file_set in sorted(_file_sets.items()):
            files[name] = _copy_out(file_set, folder / name)
    return {
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "app_version": _version(),
        "database": {
            "name": database,
            "server_version": server_version,
            "file": DUMP,
            "sha256": dump_sha,
            "size": dump_size,
        },
        "migrations": heads,
        "tables": counts,
        "files": files,
        "media_included": media,
        "counts": {
            "tables": len(counts),
            "rows": sum(counts.values()),
            "files": sum(len(entry["objects"]) for entry in files.values()),
            "file_bytes": sum(entry["bytes"] for entry in files.values()),
        },
    }


def _copy_out(file_set: FileSet, folder: Path) -> dict[str, Any]:
    objects: dict[str, dict[str, Any]] = {}
    for key in file_set.names():
        target = folder / _safe_key(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        try:
            with file_set.open(key) as source, target.open("wb") as sink:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
                    size += len(chunk)
        except FileNotFoundError:  # deleted since it was listed: a blob no live row uses any more
            target.unlink(missing_ok=True)
            continue
        objects[key] = {"sha256": digest.hexdigest(), "size": size}
    return {"where": file_set.where(), "objects": objects, "bytes": sum(item["size"] for item in objects.values())}


def _version() -> str:
    try:
        return importlib.metadata.version("ukbot")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- restore -------------------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the backup at ``folder``, checked for shape.

    :raises BackupError: no such folder, not a backup, an unreadable or foreign manifest.
    """
    if not folder.exists():
        raise BackupError(f"no backup at {folder}")
    if not folder.is_dir() or not (folder / MANIFEST).is_file():
        raise BackupError(f"{folder} is not a backup: it holds no {MANIFEST}")
    damaged = BackupError(f"{folder / MANIFEST} is damaged: not the manifest of a backup")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (ValueError, OSError):
        raise damaged from None
    if not isinstance(manifest, dict):
        raise damaged
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: backup format {manifest.get('format')!r}, not {FORMAT}, or not a backup")
    database, counts, files = manifest.get("database"), manifest.get("tables"), manifest.get("files")
    if not (
        isinstance(database, dict)
        and {"file", "sha256", "size"} <= database.keys()
        and isinstance(counts, dict)
        and isinstance(files, dict)
        and all(isinstance(entry, dict) and isinstance(entry.get("objects"), dict) for entry in files.values())
    ):
        raise damaged
    return manifest


def verify(folder: Path, manifest: dict[str, Any], *, media: bool = True) -> int:
    """Check the sha256 and size of the dump and (with ``media``) of every stored object against the manifest;
    return how many files were checked.

    :raises BackupError: a missing or altered file, or a file set this deployment does not have.
    """
    expected = [(folder / DUMP, manifest["database"]["sha256"], manifest["database"]["size"])]
    if media:
        for name, entry in sorted(manifest["files"].items()):
            if name not in _file_sets:
                raise BackupError(f"the backup holds files of {name!r}, which nothing here stores")
            for key, item in sorted(entry["objects"].items()):
                expected.append((folder / name / _safe_key(key), item["sha256"], item["size"]))
    for path, sha256, size in expected:
        if not path.is_file():
            raise BackupError(f"damaged backup: {path.relative_to(folder)} is missing; nothing was restored")
        if sha256_of(path) != (sha256, size):
            raise BackupError(
                f"damaged backup: {path.relative_to(folder)} does not match its sha256 in {MANIFEST}; "
                "nothing was restored"
            )
    return len(expected)


@dataclass(frozen=True)
class Restored:
    counts: dict[str, tuple[int, int]]  # table -> (in the manifest, in the database now)
    files_put: int
    files_kept: int
    heads_unknown: dict[str, str]  # app -> migration in the backup that this code does not have
    heads_behind: dict[str, str]  # app -> this code's newer head: run migrate

    @property
    def mismatched(self) -> dict[str, tuple[int, int]]:
        return {table: pair for table, pair in self.counts.items() if pair[0] != pair[1]}


def restore(folder: Path, *, replace: bool, media: bool = True) -> Restored:
    """Restore the backup at ``folder`` into the configured database and storage: check every file's sha256 first,
    refuse a database that holds data unless ``replace``, ``pg_restore --clean --if-exists`` in one transaction,
    put the stored objects back (keys already present are kept: their names are their content's sha256), then
    count the rows again.

    :raises BackupError: a missing or damaged backup, data in the way, pg_restore missing or failing.
    """
    folder = folder.absolute()
    manifest = read_manifest(folder)
    verify(folder, manifest, media=media)
    pg_restore = _tool("pg_restore")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        in_the_way = tables_with_rows(cursor)
    if in_the_way and not replace:
        raise BackupError(
            f"database {database} already holds data ({len(in_the_way)} tables with rows): "
            "pass --yes to replace it with the backup"
        )
    connection.close()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            "--no-acl",
            f"--dbname={database}",
            str(folder / DUMP),
        ]
    )
    put = kept = 0
    if media:
        for name, entry in sorted(manifest["files"].items()):
            file_set = _file_sets[name]
            for key, item in sorted(entry["objects"].items()):
                if file_set.exists(key) and file_set.size(key) == item["size"]:
                    kept += 1
                    continue
                with (folder / name / _safe_key(key)).open("rb") as stream:
                    file_set.put(key, stream)
                if file_set.size(key) != item["size"]:
                    raise BackupError(f"{name}/{key} was not stored whole in {file_set.where()}")
                put += 1
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        now = row_counts(cursor)
        heads = _applied_heads(cursor)
    known = code_heads()
    return Restored(
        counts={table: (expected, now.get(table, -1)) for table, expected in manifest["tables"].items()},
        files_put=put,
        files_kept=kept,
        heads_unknown={app: name for app, name in heads.items() if name > known.get(app, "")},
        heads_behind={app: name for app, name in known.items() if name > heads.get(app, "")},
    )
