"""The sandbox in-process: tenant + WinRM endpoint on a free loopback port, described as settings.

Used by ``--sandbox DIR``, ``demo``, ``sandbox serve`` and the tests. The endpoint is the real
one (WS-Man over HTTP or HTTPS), so clients go through pypsrp exactly as they would to a jump
host; only the address and credentials differ.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from orchestrator.config import Secret, Settings, TenantSettings, WinRMSettings
from orchestrator.errors import UsageError
from orchestrator.sandbox.behaviour import KnobFaults
from orchestrator.sandbox.host import SandboxHostFactory
from orchestrator.sandbox.tenant.audit import read_audit
from orchestrator.sandbox.tenant.service import Tenant, TenantExistsError
from orchestrator.sandbox.tenant.store import DB_NAME
from orchestrator.sandbox.wsman import WinRMEndpoint

SANDBOX_USERNAME = "sandbox-admin"


def showcase_fixture() -> Path:
    """The built-in showcase fixture, from package data."""
    return Path(str(resources.files("orchestrator.sandbox") / "fixtures" / "showcase.json"))


def is_tenant_dir(state_dir: Path) -> bool:
    return (state_dir / DB_NAME).is_file()


def _create(state_dir: Path, fixture: Path | Mapping[str, Any] | None) -> Tenant:
    try:
        return Tenant.init(state_dir, fixture or showcase_fixture())
    except TenantExistsError as exc:
        raise UsageError(str(exc), hint="pick an empty or new directory") from exc
    except ValueError as exc:  # fixture validation names the offending field
        raise UsageError(f"the fixture is not valid: {exc}", hint="see docs/sandbox/fixtures.md") from exc


def init_tenant(state_dir: Path, fixture: Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Create a tenant in ``state_dir`` (from a fixture file or dict; default the showcase)."""
    tenant = _create(state_dir, fixture)
    try:
        with tenant.transaction() as model:
            return {
                "state_dir": str(state_dir),
                "organization": model.tenant.organization,
                "simulated_time": tenant.now().isoformat(),
                "users": len(model.users),
                "mailboxes": len(model.mailboxes),
            }
    finally:
        tenant.close()


def advance_clock(state_dir: Path, minutes: float) -> str:
    """Move a tenant's clock forward; say what fired."""
    if not is_tenant_dir(state_dir):
        raise UsageError(f"{state_dir} is not a sandbox tenant", hint=f"create it: sandbox init {state_dir}")
    with Tenant.open(state_dir) as tenant:
        events = tenant.advance(dt.timedelta(minutes=minutes))
        lines = [f"simulated time is now {tenant.now().isoformat()}"]
        lines.extend(f"  {event}" for event in events)
        return "\n".join(lines)


def read_audit_log(state_dir: Path) -> list[dict[str, Any]]:
    if not is_tenant_dir(state_dir):
        raise UsageError(f"{state_dir} is not a sandbox tenant")
    return read_audit(state_dir)


@dataclass
class SandboxConnection:
    """How to reach a running sandbox: for pypsrp, for our settings, and as JSON for others."""

    url: str
    host: str
    port: int
    https: bool
    username: str
    password: str = field(repr=False)
    ca_cert: Path | None
    organization: str
    app_id: str
    certificate_thumbprint: str
    state_dir: Path
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)

    def settings(self) -> Settings:
        winrm = WinRMSettings(
            host=self.host,
            port=self.port,
            https=self.https,
            auth="basic",
            username=self.username,
            password=Secret(self.password),
            cert_validation=True,
            ca_bundle=self.ca_cert,
            connection_timeout=10.0,
            operation_timeout=5,
            read_timeout=15.0,
            invoke_timeout=300.0,
        )
        tenant = TenantSettings(
            organization=self.organization,
            app_id=self.app_id,
            certificate_thumbprint=self.certificate_thumbprint,
        )
        return Settings(winrm=winrm, tenant=tenant)

    def describe(self) -> dict[str, Any]:
        """The one JSON line ``sandbox serve`` prints: enough for any WinRM client."""
        return {
            "url": self.url,
            "username": self.username,
            "password": self.password,
            "ca_cert": str(self.ca_cert) if self.ca_cert else None,
            "organization": self.organization,
            "app_id": self.app_id,
            "certificate_thumbprint": self.certificate_thumbprint,
        }

    def wait(self) -> None:
        """Block until interrupted (Ctrl+C) or the sandbox stops."""
        while not self._stopped.wait(0.5):
            pass


@contextlib.contextmanager
def running_sandbox(
    state_dir: Path,
    *,
    https: bool = False,
    port: int = 0,
    bind: str = "127.0.0.1",
    create: bool = True,
    fixture: Path | None = None,
    time_scale: float | None = None,
) -> Iterator[SandboxConnection]:
    """Open (or create from ``fixture``/the showcase) the tenant in ``state_dir`` and serve it.

    ``time_scale`` (simulated seconds per real second; 0 freezes the clock) is stored with the
    tenant, so it stays in force for later runs until set again.
    """
    if is_tenant_dir(state_dir):
        tenant = Tenant.open(state_dir)
    elif create:
        tenant = _create(state_dir, fixture)
    else:
        raise UsageError(f"{state_dir} is not a sandbox tenant", hint=f"create it: sandbox init {state_dir}")
    if time_scale is not None:
        tenant.set_time_scale(time_scale)
    factory = SandboxHostFactory(tenant)
    password = secrets.token_urlsafe(18)
    endpoint = WinRMEndpoint(
        factory,
        username=SANDBOX_USERNAME,
        password=password,
        bind=bind,
        port=port,
        https=https,
        cert_dir=state_dir / "tls",
        faults=KnobFaults(factory.behaviour),
    )
    connection: SandboxConnection | None = None
    try:
        endpoint.start()
        with tenant.transaction() as model:
            app = model.tenant.app
            organization = model.tenant.organization
        connection = SandboxConnection(
            url=endpoint.url,
            host=endpoint.host,
            port=endpoint.port,
            https=https,
            username=SANDBOX_USERNAME,
            password=password,
            ca_cert=endpoint.ca_cert_path,
            organization=organization,
            app_id=str(app.app_id),
            certificate_thumbprint=app.certificate_thumbprint,
            state_dir=state_dir,
        )
        yield connection
    finally:
        if connection is not None:
            connection._stopped.set()
        endpoint.stop()
        tenant.close()
