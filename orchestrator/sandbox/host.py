"""The sandbox's PowerShell host: one per runspace pool; glues evaluator, binder, cmdlets, tenant.

For every command a script runs that is not a script function or an evaluator built-in, the
evaluator asks this host to resolve it. The host:

1. resolves the name in the simulated-cmdlet registry, honouring connection state: the Exchange
   session cmdlets (Get-Mailbox, Remove-Mailbox, ...) do not exist before Connect-ExchangeOnline
   and the S&C ones before Connect-IPPSSession (``CommandNotFoundException``, as on a real host);
   Graph cmdlets exist (their module autoloads) and fail themselves until Connect-MgGraph;
2. binds the arguments with PowerShell's rules against ``cmdlets.json`` (``binding.py``), once for
   the command line and once per piped object, and stamps every call of one command invocation
   with the same fresh ``CmdletCall.invocation_id`` and its ``pipeline_index`` (0, 1, ...), so a
   cmdlet can tell "the next object of this pipeline" from "a new command" (§4 row 4);
3. applies the service's behaviour (latency, throttling, transient faults: ``behaviour.py``);
4. runs the cmdlet inside one tenant transaction (the tenant's lock: cmdlets are atomic);
5. appends an audit record: simulated time, runspace, cmdlet, bound parameters with secrets
   masked, outcome (``ok`` or the error id) and duration — for binding failures too.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.sandbox import binding
from orchestrator.sandbox.behaviour import ServiceBehaviour
from orchestrator.sandbox.catalog import Catalog, CmdletSpec, load_catalog
from orchestrator.sandbox.cmdlets import errors as service_errors
from orchestrator.sandbox.cmdlets.registry import CmdletEntry, SessionState, lookup
from orchestrator.sandbox.pwsh import Engine
from orchestrator.sandbox.runtime import (
    ArgumentValue,
    CmdletCall,
    CommandRuntime,
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    ParameterToken,
    PipelineCommand,
    PSObject,
    PSTerminatingError,
    SecureString,
    SwitchParameter,
)
from orchestrator.sandbox.tenant.service import Tenant

MASK = "********"
_SECRET_WORDS = ("password", "secret", "credential")


class SandboxHostFactory:
    """Makes one ``SandboxScriptHost`` per runspace pool a client opens."""

    def __init__(self, tenant: Tenant, *, catalog: Catalog | None = None) -> None:
        self.tenant = tenant
        self.catalog = catalog or load_catalog()
        # The knobs are fixture data, fixed when the tenant is created: read them once, not
        # through a tenant transaction on every cmdlet call.
        with tenant.transaction() as model:
            knobs = model.knobs
        self.behaviour = ServiceBehaviour(lambda: knobs)

    def open_pool(self, pool_id: str, username: str) -> SandboxScriptHost:
        return SandboxScriptHost(self, pool_id, username)


class SandboxScriptHost:
    """Runs the pipelines of one runspace pool against the tenant."""

    def __init__(self, factory: SandboxHostFactory, pool_id: str, username: str) -> None:
        self.factory = factory
        self.session = SessionState(tenant=factory.tenant, pool_id=pool_id, username=username)
        self.engine = Engine(self, now=factory.tenant.now)

    # -- ScriptHost ------------------------------------------------------------------------

    def invoke(
        self,
        commands: Sequence[PipelineCommand],
        input_objects: Sequence[Any] | None,
        streams: CommandRuntime,
    ) -> None:
        if len(commands) != 1:
            raise PSTerminatingError(
                ErrorRecord(
                    "The sandbox runs one script or command per pipeline; this pipeline has "
                    f"{len(commands)} commands.",
                    "SandboxUnsupportedPipeline",
                    ErrorCategory.NotImplemented,
                    "System.NotSupportedException",
                )
            )
        (command,) = commands
        if command.is_script:
            self.engine.run_script(command.command_text, command.parameters, input_objects, streams)
        else:
            self.engine.run_command(command.command_text, command.parameters, input_objects, streams)

    def close(self) -> None:
        """Nothing to release: tenant state is shared and persisted per cmdlet."""

    # -- CommandResolver --------------------------------------------------------------------

    def resolve(self, name: str) -> SimulatedCommand | None:
        entry = lookup(name)
        if entry is None:
            return None
        if entry.requires == "exo" and not self.session.exo_connected:
            return None
        if entry.requires == "ipps" and not self.session.ipps_connected:
            return None
        spec = self.factory.catalog.get(entry.name)
        if spec is None:  # a registry entry must have a published signature
            raise RuntimeError(f"simulated cmdlet {entry.name} is not in cmdlets.json")
        return SimulatedCommand(self, entry, spec)


class _RecordingRuntime:
    """Forwards a cmdlet's streams and remembers the first error id it wrote (for the audit)."""

    def __init__(self, inner: CommandRuntime) -> None:
        self.inner = inner
        self.first_error: str | None = None

    def write_output(self, value: Any) -> None:
        self.inner.write_output(value)

    def write_error(self, record: ErrorRecord) -> None:
        if self.first_error is None:
            self.first_error = record.fq_error_id
        self.inner.write_error(record)

    def write_warning(self, message: str) -> None:
        self.inner.write_warning(message)

    def apply_common_parameters(self, bound: Mapping[str, Any]) -> None:
        self.inner.apply_common_parameters(bound)

    @property
    def stop_event(self) -> threading.Event:
        return self.inner.stop_event


class SimulatedCommand:
    """One resolved simulated cmdlet, as the evaluator sees an external command."""

    def __init__(self, host: SandboxScriptHost, entry: CmdletEntry, spec: CmdletSpec) -> None:
        self.host = host
        self.entry = entry
        self.spec = spec
        self.name = entry.name

    def invoke(
        self,
        args: Sequence[ParameterToken | ArgumentValue],
        input_objects: Sequence[Any] | None,
        runtime: CommandRuntime,
    ) -> None:
        started = time.perf_counter()
        invocation_id = uuid.uuid4().hex  # one per invocation: the calls below share it
        try:
            partial = binding.bind_command_line(
                self.spec, args, expects_pipeline_input=input_objects is not None
            )
        except PSTerminatingError as exc:
            self._audit(None, exc.record.fq_error_id, started)
            raise
        if input_objects is None:
            call = binding.finish(partial)
            call.invocation_id = invocation_id
            self._run(call, runtime, started)
            return
        index = 0
        for item in input_objects:
            try:
                call = binding.bind_pipeline_object(partial, item)
            except binding.PipelineInputBindingError as exc:
                self._audit(None, exc.record.fq_error_id, started)
                runtime.write_error(exc.record)
                continue
            call.invocation_id, call.pipeline_index = invocation_id, index
            index += 1
            self._run(call, runtime, started)
            started = time.perf_counter()

    def _run(self, call: CmdletCall, runtime: CommandRuntime, started: float) -> None:
        runtime.apply_common_parameters(call.bound)
        behaviour = self.host.factory.behaviour
        refusal = behaviour.admit(
            self.name,
            destructive=self.entry.destructive,
            throttled=lambda ms: service_errors.throttled(self.host.session, self.name, ms),
            transient=lambda: service_errors.rest_transient(self.host.session, self.name),
        )
        if refusal is not None:
            runtime.write_error(refusal)
            self._audit(call, refusal.fq_error_id, started)
            return
        recorder = _RecordingRuntime(runtime)
        outcome = "ok"
        try:
            latency = behaviour.latency_s(self.name)  # the service at work, holding its slot
            if latency > 0 and runtime.stop_event.wait(latency):
                outcome = "PipelineStopped"
                return  # the evaluator raises PipelineStopped at its next check
            with self.host.session.tenant.transaction():  # one cmdlet = one atomic change
                self.entry.impl(call, recorder, self.host.session)
        except PSTerminatingError as exc:
            outcome = exc.record.fq_error_id
            raise
        finally:
            behaviour.release()
            self._audit(call, recorder.first_error or outcome, started)

    def _audit(self, call: CmdletCall | None, outcome: str, started: float) -> None:
        tenant = self.host.session.tenant
        tenant.audit(
            {
                "runspace": self.host.session.pool_id,
                "user": self.host.session.username,
                "cmdlet": self.name,
                "parameter_set": call.parameter_set if call else None,
                "parameters": mask_parameters(call.bound) if call else None,
                "piped": call.piped if call else False,
                "outcome": outcome,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )


def _summarise(value: Any, key: str = "") -> Any:
    """A JSON-ready, secret-free rendering of one bound value for the audit log."""
    if isinstance(value, SecureString) or any(word in key.lower() for word in _SECRET_WORDS):
        return MASK
    if isinstance(value, SwitchParameter):
        return value.is_present
    if isinstance(value, PSObject):
        for name in ("ExchangeGuid", "Id", "Identity", "Name"):
            if value.has(name) and value.get(name) is not None:
                return {
                    "object": value.type_names[0] if value.type_names else "PSObject",
                    name: str(value.get(name)),
                }
        return {"object": value.type_names[0] if value.type_names else "PSObject"}
    if isinstance(value, Hashtable | dict):
        return {str(k): _summarise(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_summarise(v, key) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def mask_parameters(bound: Mapping[str, Any]) -> dict[str, Any]:
    """Bound parameters as the audit log records them: secrets masked, objects summarised."""
    return {name: _summarise(value, name) for name, value in bound.items()}
