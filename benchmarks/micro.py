"""In-process figures: (a) template render + bind, (b) binder throughput, (c) evaluator."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.common import once, per_call
from orchestrator.config import TenantSettings
from orchestrator.sandbox import binding
from orchestrator.sandbox.catalog import load_catalog
from orchestrator.sandbox.embedded import showcase_fixture
from orchestrator.sandbox.host import SandboxHostFactory
from orchestrator.sandbox.pwsh.parser import parse
from orchestrator.sandbox.runtime import NO_VALUE, ArgumentValue, ErrorRecord, ParameterToken, PipelineCommand
from orchestrator.sandbox.tenant.service import Tenant
from orchestrator.templates import TemplateCatalog
from orchestrator.workflow import connection_parameters

INVENTORY_OPTIONS = {"include_public_folders": True, "include_directory": True}


def render_and_bind(min_time_s: float) -> dict[str, Any]:
    """(a) ``TemplateCatalog.render('inventory')`` + ``.bind(connection values)``, per call."""
    tenant = TenantSettings(
        organization="contoso.onmicrosoft.com",
        app_id="d751976f-7897-5f78-811d-e157788a86d0",
        certificate_thumbprint="3F2504E04F8911D39A0C0305E82C33013F2504E0",
    )
    values = connection_parameters(tenant)
    catalog = TemplateCatalog()

    def call() -> None:
        catalog.render("inventory", INVENTORY_OPTIONS).bind(values)

    first = once(call)
    return {"first_call_ms": first * 1000, **per_call(call, min_time_s=min_time_s)}


def _switch(name: str) -> ParameterToken:
    return ParameterToken(name, NO_VALUE, f"-{name}")


def _named(name: str, value: Any) -> list[ParameterToken | ArgumentValue]:
    return [ParameterToken(name, NO_VALUE, f"-{name}"), ArgumentValue(value)]


def binder(min_time_s: float) -> dict[str, Any]:
    """(b) Binds per second, as the host does them (command line phase + finish)."""
    catalog = load_catalog()
    get_spec = catalog.get("Get-EXOMailbox")
    remove_spec = catalog.get("Remove-Mailbox")
    assert get_spec is not None and remove_spec is not None
    properties = [
        "ExchangeGuid",
        "WhenSoftDeleted",
        "IsInactiveMailbox",
        "LitigationHoldEnabled",
        "InPlaceHolds",
    ]
    get_args = [
        _switch("SoftDeletedMailbox"),
        *_named("ResultSize", "Unlimited"),
        *_named("Properties", properties),
    ]
    remove_args = [
        *_named("Identity", "caaaf1ff-8399-5baf-b3b9-e75ae9c16a47"),
        _switch("PermanentlyDelete"),
        ParameterToken("Confirm", False, "-Confirm:"),
    ]
    results: dict[str, Any] = {}
    for label, spec, args in (
        ("Get-EXOMailbox -SoftDeletedMailbox -ResultSize Unlimited -Properties @(...)", get_spec, get_args),
        ("Remove-Mailbox -Identity <guid> -PermanentlyDelete -Confirm:$false", remove_spec, remove_args),
    ):
        binding.finish(binding.bind_command_line(spec, args, expects_pipeline_input=False))  # warm, and check

        def call(spec: Any = spec, args: Any = args) -> None:
            binding.finish(binding.bind_command_line(spec, args, expects_pipeline_input=False))

        results[label] = per_call(call, min_time_s=min_time_s)
    return results


class _Collect:
    """A minimal ``CommandRuntime`` for running scripts on the host without the endpoint."""

    def __init__(self) -> None:
        self.output: list[Any] = []
        self.errors: list[ErrorRecord] = []
        self.warnings: list[str] = []
        self._stop = threading.Event()

    def write_output(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, record: ErrorRecord) -> None:
        self.errors.append(record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def apply_common_parameters(self, bound: Mapping[str, Any]) -> None:
        return None

    @property
    def stop_event(self) -> threading.Event:
        return self._stop


def evaluator(scratch: Path, min_time_s: float) -> dict[str, Any]:
    """(c) The rendered inventory script: parse cold (no cache), parse cached (the engine's
    cache), and a whole run on the sandbox host (no WinRM) against the showcase tenant."""
    tenant = Tenant.init(scratch / "evaluator", showcase_fixture())
    try:
        with tenant.transaction() as model:
            app = model.tenant.app
            values = {
                "Organization": model.tenant.organization,
                "AppId": str(app.app_id),
                "CertificateThumbprint": app.certificate_thumbprint,
            }
        text = TemplateCatalog().render("inventory", INVENTORY_OPTIONS).text
        host = SandboxHostFactory(tenant).open_pool("bench-pool", "bench")
        cold = per_call(lambda: parse(text), min_time_s=min_time_s)
        host.engine.parse(text)
        cached = per_call(lambda: host.engine.parse(text), min_time_s=min_time_s)
        rows: list[int] = []

        def run() -> None:
            streams = _Collect()
            host.invoke([PipelineCommand(text, True, list(values.items()))], None, streams)
            if streams.errors:
                raise RuntimeError(streams.errors[0].message)
            rows.append(len(streams.output))

        first = once(run)
        runs = per_call(run, min_time_s=min_time_s, min_calls=3)
        return {
            "script_chars": len(text),
            "parse_cold": cold,
            "parse_cached": cached,
            "run_first_ms": first * 1000,
            "run": runs,
            "rows_per_run": rows[-1],
        }
    finally:
        tenant.close()
