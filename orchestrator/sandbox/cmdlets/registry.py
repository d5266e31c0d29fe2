"""The registry of simulated cmdlets and the per-runspace-pool ``SessionState``.

A cmdlet module decorates its implementations with ``@cmdlet("Get-Mailbox", requires="exo")``;
``lookup`` (case-insensitive) imports the modules listed in ``CMDLET_MODULES`` on first use, so
the write side adds its modules to that list and nothing else. ``requires`` says which
connection makes the cmdlet exist: "exo" (Connect-ExchangeOnline) and "ipps"
(Connect-IPPSSession) cmdlets are not found before it (the host enforces that); "graph" cmdlets
exist but fail with "Authentication needed" until Connect-MgGraph (``require_graph``).
"""

from __future__ import annotations

import importlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime
from orchestrator.sandbox.tenant.service import Tenant

__all__ = [
    "CMDLET_MODULES",
    "REGISTRY",
    "CmdletEntry",
    "Connection",
    "Impl",
    "SessionState",
    "cmdlet",
    "lookup",
    "require_graph",
]

Requires = Literal["exo", "graph", "ipps"] | None
Impl = Callable[[CmdletCall, CommandRuntime, "SessionState"], None]

#: Modules whose import registers cmdlets (the write side appends its own).
CMDLET_MODULES: list[str] = [
    "orchestrator.sandbox.cmdlets.connect",
    "orchestrator.sandbox.cmdlets.exchange_read",
    "orchestrator.sandbox.cmdlets.graph_read",
    "orchestrator.sandbox.cmdlets.exchange_write",
    "orchestrator.sandbox.cmdlets.graph_write",
    "orchestrator.sandbox.cmdlets.compliance",
    "orchestrator.sandbox.cmdlets.restore_requests",
]


@dataclass(frozen=True)
class CmdletEntry:
    name: str
    impl: Impl
    requires: Requires = None
    destructive: bool = False


REGISTRY: dict[str, CmdletEntry] = {}
_loaded: set[str] = set()
_load_lock = threading.Lock()


def cmdlet(name: str, *, requires: Requires = None, destructive: bool = False) -> Callable[[Impl], Impl]:
    """Register ``impl`` as the simulated ``name``."""

    def register(impl: Impl) -> Impl:
        key = name.lower()
        if key in REGISTRY and REGISTRY[key].impl is not impl:
            raise RuntimeError(f"cmdlet {name} registered twice")
        REGISTRY[key] = CmdletEntry(name, impl, requires, destructive)
        return impl

    return register


def _ensure_loaded() -> None:
    with _load_lock:
        for module in CMDLET_MODULES:
            if module not in _loaded:
                importlib.import_module(module)
                _loaded.add(module)


def lookup(name: str) -> CmdletEntry | None:
    """The registered cmdlet called ``name`` (any case), or None."""
    _ensure_loaded()
    return REGISTRY.get(name.lower())


@dataclass
class Connection:
    """One Connect-ExchangeOnline / Connect-IPPSSession connection (Get-ConnectionInformation)."""

    connection_id: uuid.UUID
    kind: Literal["exo", "ipps"]
    organization: str
    app_id: uuid.UUID
    certificate_thumbprint: str | None
    connected_at: Any
    prefix: str = ""
    command_names: list[str] = field(default_factory=list)


@dataclass
class SessionState:
    """What one runspace pool remembers between pipelines: its connections and the tenant."""

    tenant: Tenant
    pool_id: str
    username: str
    runspace_id: str | None = None
    exo_connected: bool = False
    graph_connected: bool = False
    ipps_connected: bool = False
    connected_app_id: uuid.UUID | None = None
    connections: list[Connection] = field(default_factory=list)
    #: Get-MgContext's data after Connect-MgGraph (None before).
    graph_context: dict[str, Any] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def error_context(self) -> errors.ErrorContext:
        return errors.context(self)


def require_graph(session: SessionState, call: CmdletCall, runtime: CommandRuntime) -> bool:
    """False (after writing the SDK's error) when Graph is not connected; the cmdlet then returns."""
    if session.graph_connected:
        return True
    runtime.write_error(errors.graph_auth_needed(call.name, call.parameter_set))
    return False
