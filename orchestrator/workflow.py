"""What every workflow step does: render a template, bind the tenant's connection values, run it.

Workflows (inventory now; purge, restore, reconnect... later) call ``run_template`` and get an
``InvokeResult`` back. The runner is anything with ``PowerShellSession.invoke``'s signature, so a
workflow never knows whether it talks to a jump host or to the sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import structlog

from orchestrator.config import TenantSettings
from orchestrator.errors import ConfigError
from orchestrator.results import InvokeResult
from orchestrator.templates import RenderedScript, TemplateCatalog

log = structlog.get_logger(__name__)


class ScriptRunner(Protocol):
    """Runs one script with PSRP parameters (``orchestrator.session.PowerShellSession``)."""

    def invoke(
        self,
        script: str,
        parameters: Mapping[str, object],
        *,
        name: str = "script",
        timeout_s: float | None = None,
    ) -> InvokeResult: ...


def connection_parameters(tenant: TenantSettings) -> dict[str, Any]:
    """The values the shared prelude's ``param()`` block declares (app-only certificate auth).

    Only a certificate in the jump host's store (by thumbprint) is supported: Connect-MgGraph
    cannot take a .pfx path, and loading one would need .NET calls the templates avoid.
    """
    if not tenant.certificate_thumbprint:
        raise ConfigError(
            "tenant.certificate_path (a .pfx on the jump host) is not supported by the templates yet",
            hint="import the .pfx into the jump host's certificate store (CurrentUser\\My of the WinRM "
            "account, or LocalMachine\\My) and set tenant.certificate_thumbprint instead",
            details={"key": "tenant.certificate_path"},
        )
    return {
        "Organization": tenant.organization,
        "AppId": tenant.app_id,
        "CertificateThumbprint": tenant.certificate_thumbprint,
    }


def prepare(
    catalog: TemplateCatalog,
    tenant: TenantSettings,
    template: str,
    options: Mapping[str, object] | None = None,
    values: Mapping[str, Any] | None = None,
) -> RenderedScript:
    """Render ``template`` and bind the connection values plus ``values`` (checked by name)."""
    script = catalog.render(template, options)
    return script.bind({**connection_parameters(tenant), **(values or {})})


def run_template(
    runner: ScriptRunner,
    catalog: TemplateCatalog,
    tenant: TenantSettings,
    template: str,
    options: Mapping[str, object] | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    timeout_s: float | None = None,
) -> InvokeResult:
    """Render, bind, run and log one script; the caller decides what the result means."""
    script = prepare(catalog, tenant, template, options, values)
    log.info(
        "script.start", template=template, sha256=script.sha256[:12], parameters=script.loggable_parameters()
    )
    result = runner.invoke(script.text, script.parameters, name=template, timeout_s=timeout_s)
    log.info(
        "script.end",
        template=template,
        state=result.state,
        objects=len(result.output),
        errors=len(result.errors),
        warnings=len(result.warnings),
        duration_s=round(result.duration_s, 3),
    )
    for warning in result.warnings:
        log.warning("script.warning", template=template, warning=warning)
    return result
