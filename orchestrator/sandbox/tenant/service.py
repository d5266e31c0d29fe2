"""``Tenant``: the handle the host and cmdlets use: one lock, write-through store, clock, audit.

Every read or change of the model happens inside ``with tenant.transaction() as model:``. The
transaction takes the tenant's ``threading.RLock`` (nested transactions on one thread join the
outer one), opens ``BEGIN IMMEDIATE`` (serialising writers across processes), reloads the model if
another process committed since (``PRAGMA data_version``), applies every lifecycle timer due at the
simulated ``now``, yields the model, then writes only the touched objects and commits. If the body
raises after changing the model, the SQLite transaction is rolled back and the model reloaded, so
memory never drifts from disk.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orchestrator.sandbox.tenant import timers
from orchestrator.sandbox.tenant.audit import AUDIT_NAME, AuditLog, mask_parameters, read_audit
from orchestrator.sandbox.tenant.clock import ClockState
from orchestrator.sandbox.tenant.model import TenantModel
from orchestrator.sandbox.tenant.store import DB_NAME, Store, StoreError, no_gc

__all__ = ["Tenant", "TenantExistsError", "init_tenant", "open_tenant", "read_audit"]


class TenantExistsError(StoreError):
    """``init`` was pointed at a directory that is not empty."""


class Tenant:
    def __init__(self, state_dir: Path, store: Store, model: TenantModel | None = None) -> None:
        self.state_dir = state_dir
        self._store = store
        self._lock = threading.RLock()
        self._depth = 0
        self._model = model if model is not None else store.load_model()
        self._clock = self._load_clock()
        self._data_version = store.data_version()
        self._audit = AuditLog(state_dir / AUDIT_NAME)
        self._request_counter = 0
        self.reloads = 0
        #: Rows written by the last committed transaction (a single-mailbox change writes one).
        self.last_commit_rows = 0

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def init(cls, state_dir: Path | str, fixture: Mapping[str, Any] | Path | str) -> Tenant:
        """Create a tenant in ``state_dir`` (absent or empty) from a fixture dict or JSON file."""
        from orchestrator.sandbox.tenant.fixture import load_fixture

        directory = Path(state_dir)
        if directory.exists() and any(directory.iterdir()):
            what = (
                "a sandbox tenant already"
                if (directory / DB_NAME).exists()
                else "not empty and not a sandbox"
            )
            raise TenantExistsError(f"{directory} is {what}; use an empty or new directory")
        data = (
            fixture if isinstance(fixture, Mapping) else json.loads(Path(fixture).read_text(encoding="utf-8"))
        )
        with no_gc():
            model, start = load_fixture(data)
        directory.mkdir(parents=True, exist_ok=True)
        store = Store.create(directory / DB_NAME)
        store.begin()
        store.write_all(model)
        store.set_meta("clock", ClockState(start=start, time_scale=model.knobs.time_scale).dumps())
        store.set_meta("organization", model.tenant.organization)
        store.commit()
        return cls(directory, store, model)

    @classmethod
    def open(cls, state_dir: Path | str) -> Tenant:
        directory = Path(state_dir)
        return cls(directory, Store.open(directory / DB_NAME))

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def __enter__(self) -> Tenant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- clock -----------------------------------------------------------------------------
    def _load_clock(self) -> ClockState:
        text = self._store.get_meta("clock")
        if text is None:
            raise StoreError(f"{self.state_dir}: no clock")
        return ClockState.loads(text)

    def now(self) -> datetime:
        """Simulated time now (reads the clock as last loaded; transactions refresh it)."""
        with self._lock:
            return self._clock.now()

    @property
    def organization(self) -> str:
        return self._model.tenant.organization

    def advance(self, delta: timedelta) -> list[timers.Event]:
        """Move the clock forward and apply every timer that falls due (persisted)."""
        with self.transaction() as model:
            self._clock.advance(delta)
            self._store.set_meta("clock", self._clock.dumps())
            return timers.advance(model, self._clock.now())

    def set_time_scale(self, scale: float) -> None:
        with self.transaction():
            self._clock.set_time_scale(scale)
            self._store.set_meta("clock", self._clock.dumps())

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[TenantModel]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._model
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                yield from self._outer_transaction()
            finally:
                self._depth = 0

    def _outer_transaction(self) -> Iterator[TenantModel]:
        store = self._store
        store.begin()
        try:
            version = store.data_version()
            if version != self._data_version:
                self._reload()
                self._data_version = version
            timers.advance(self._model, self._clock.now())
            store.write_dirty(self._model)
        except BaseException:
            store.rollback()
            self._reload()
            raise
        try:
            yield self._model
        except BaseException:
            if self._model.dirty:
                store.rollback()
                self._reload()
            else:
                store.commit()
            raise
        try:
            self.last_commit_rows = store.write_dirty(self._model)
            store.commit()
        except BaseException:
            store.rollback()
            self._reload()
            raise

    def _reload(self) -> None:
        self._model = self._store.load_model()
        self._clock = self._load_clock()
        self.reloads += 1

    # -- audit and ids ---------------------------------------------------------------------
    def audit(self, record: Mapping[str, Any]) -> None:
        """Append one audit record (host-supplied keys kept; times added; secrets masked)."""
        full: dict[str, Any] = {
            "sim_time": self.now().isoformat(),
            "real_time": datetime.now().astimezone().isoformat(),
        }
        full.update(record)
        if isinstance(full.get("parameters"), Mapping):
            full["parameters"] = mask_parameters(full["parameters"])
        self._audit.append(full)

    def read_audit(self) -> list[dict[str, Any]]:
        return read_audit(self.state_dir)

    def next_request_id(self) -> uuid.UUID:
        """Deterministic per-tenant request ids (seeded by the knobs' seed) for error records."""
        with self._lock:
            self._request_counter += 1
            seed = self._model.knobs.seed
            return uuid.uuid5(self._model.tenant.tenant_id, f"request-{seed}-{self._request_counter}")

    def server_name(self) -> str:
        return self._model.server_fqdn()


def init_tenant(state_dir: Path | str, fixture: Mapping[str, Any] | Path | str) -> Tenant:
    return Tenant.init(state_dir, fixture)


def open_tenant(state_dir: Path | str) -> Tenant:
    return Tenant.open(state_dir)
