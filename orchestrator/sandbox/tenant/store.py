"""Write-through persistence of a ``TenantModel`` in SQLite (WAL) inside the state directory.

Two tables: ``objects(kind, key, data)`` holds one JSON document per model object and ``meta``
holds the clock and format version. A transaction writes only the objects the lifecycle touched,
so a single-mailbox change commits a single row. ``BEGIN IMMEDIATE`` serialises writers across
processes (SQLite's own locking; no fcntl, so it works on Windows), and ``PRAGMA data_version``
tells a running server cheaply that another process (``sandbox advance``) committed.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestrator.sandbox.tenant import codec
from orchestrator.sandbox.tenant.model import ServiceKnobs, TenantInfo, TenantModel

__all__ = ["DB_NAME", "FORMAT", "Store", "StoreError", "no_gc"]

DB_NAME = "tenant.sqlite"
FORMAT = "mailbox-orchestrator/sandbox-state"
FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, key)
);
"""


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building ~100k objects (it would rescan them repeatedly)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class StoreError(Exception):
    """The state directory is missing, not a sandbox, or of an unknown format version."""


class Store:
    """One SQLite connection; callers serialise use with the tenant's lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")

    @classmethod
    def create(cls, path: Path) -> Store:
        store = cls(path)
        store._db.executescript(_SCHEMA)
        store._db.execute("BEGIN IMMEDIATE")
        store.set_meta("format", FORMAT)
        store.set_meta("version", str(FORMAT_VERSION))
        store._db.execute("COMMIT")
        return store

    @classmethod
    def open(cls, path: Path) -> Store:
        if not path.is_file():
            raise StoreError(f"{path.parent} is not a sandbox tenant (no {DB_NAME})")
        store = cls(path)
        try:
            fmt, version = store.get_meta("format"), store.get_meta("version")
        except sqlite3.DatabaseError as exc:
            store.close()
            raise StoreError(f"{path} is not a sandbox tenant database: {exc}") from exc
        if fmt != FORMAT or version != str(FORMAT_VERSION):
            store.close()
            raise StoreError(f"{path}: unknown sandbox state format {fmt!r} version {version!r}")
        return store

    # -- transactions ------------------------------------------------------------------
    def begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def data_version(self) -> int:
        """Changes when *another* connection commits (SQLite ``PRAGMA data_version``)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    # -- objects ---------------------------------------------------------------------------
    def load_model(self) -> TenantModel:
        with no_gc():
            return self._load_model()

    def _load_model(self) -> TenantModel:
        tenant: TenantInfo | None = None
        knobs = ServiceKnobs()
        rows: list[tuple[str, Any]] = []
        for kind, data in self._db.execute("SELECT kind, data FROM objects"):
            obj = codec.loads(kind, data)
            if kind == "tenant":
                tenant = obj
            elif kind == "knobs":
                knobs = obj
            else:
                rows.append((kind, obj))
        if tenant is None:
            raise StoreError(f"{self.path}: no tenant record")
        model = TenantModel(tenant=tenant, knobs=knobs)
        for kind, obj in rows:
            model.collection(kind)[obj.key] = obj
        return model

    def write_all(self, model: TenantModel) -> None:
        """Replace every object (used by ``init``); caller holds a transaction."""
        with no_gc():
            self._write_all(model)

    def _write_all(self, model: TenantModel) -> None:
        self._db.execute("DELETE FROM objects")
        rows: list[tuple[str, str, str]] = [
            ("tenant", "tenant", codec.dumps(model.tenant)),
            ("knobs", "knobs", codec.dumps(model.knobs)),
        ]
        for kind in codec.KINDS:
            if kind in ("tenant", "knobs"):
                continue
            rows.extend((kind, str(key), codec.dumps(obj)) for key, obj in model.collection(kind).items())
        self._db.executemany("INSERT INTO objects (kind, key, data) VALUES (?, ?, ?)", rows)
        model.dirty.clear()

    def write_dirty(self, model: TenantModel) -> int:
        """Write the touched objects (delete those no longer in the model); return how many."""
        count = 0
        for kind, key in sorted(model.dirty, key=lambda p: (p[0], str(p[1]))):
            if kind == "tenant":
                obj: Any = model.tenant
            elif kind == "knobs":
                obj = model.knobs
            else:
                obj = model.collection(kind).get(key)
            if obj is None:
                self._db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, str(key)))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO objects (kind, key, data) VALUES (?, ?, ?)",
                    (kind, str(key), codec.dumps(obj)),
                )
            count += 1
        model.dirty.clear()
        return count

    def count_objects(self) -> dict[str, int]:
        rows = self._db.execute("SELECT kind, COUNT(*) FROM objects GROUP BY kind")
        return {str(k): int(n) for k, n in rows}
