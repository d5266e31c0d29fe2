"""One PowerShell shell (= PSRP runspace pool) and its pipelines, bridged to psrpcore and a ScriptHost.

psrpcore is a sans-IO state machine and not thread-safe; every call into it is made under the
pool's condition lock. Its single outgoing queue is split (``_route``) into one outbox for the
pool and one per pipeline, because a WS-Man Receive asks for one command's output only. Each
pipeline runs on its own worker thread, waiting for a free runspace first (the pool enforces
the client's ``max_runspaces`` as PowerShell does: extra pipelines queue).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from psrpcore import (
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    GetAvailableRunspacesEvent,
    InitRunspacePoolEvent,
    PipelineInputEvent,
    PSRPEvent,
    PSRPPayload,
    ResetRunspaceStateEvent,
    ServerPipeline,
    ServerRunspacePool,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
    StreamType,
)
from psrpcore._payload import create_message
from psrpcore.types import PSInvocationState, PSRPMessageType, RunspacePoolState

from orchestrator.sandbox.runtime import (
    ErrorCategory,
    ErrorRecord,
    PipelineCommand,
    PipelineStopped,
    PSTerminatingError,
    ScriptHost,
)
from orchestrator.sandbox.wsman.serialize import error_record_to_ps, from_clixml, to_clixml

__all__ = ["PipelineRun", "ShellPool"]

log = logging.getLogger("orchestrator.sandbox.wsman")

#: Output queued for one pipeline beyond which writers wait for the client to receive.
OUTBOX_HIGH_WATER = 8 * 1024 * 1024
#: How long closing a pool waits for its pipelines to notice the stop before closing the host.
CLOSE_GRACE_S = 10.0


class PipelineRun:
    """Server-side state of one pipeline (one WS-Man command)."""

    def __init__(self, pool: ShellPool, command_id: str) -> None:
        self.pool = pool
        self.command_id = command_id.upper()
        self.core = ServerPipeline(pool.rp, uuid.UUID(command_id))
        self.outbox: list[Any] = []
        self.queued_bytes = 0
        self.statements: list[list[PipelineCommand]] = []
        self.input: list[Any] = []
        self.started = False
        self.finished = False
        self.discard_output = False
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None


class _Streams:
    """The ``CommandRuntime`` a pipeline's host writes to: each write is queued for the client at once."""

    def __init__(self, run: PipelineRun) -> None:
        self._run = run

    @property
    def stop_event(self) -> threading.Event:
        return self._run.stop_event

    def apply_common_parameters(self, bound: Mapping[str, Any]) -> None:
        """The evaluator owns -ErrorAction/-WarningAction; the endpoint has nothing to apply."""

    def write_output(self, value: Any) -> None:
        converted = to_clixml(value)
        self._write(_write_null if converted is None else (lambda core: core.write_output(converted)))

    def write_warning(self, message: str) -> None:
        self._write(lambda core: core.write_warning(str(message)))

    def write_error(self, record: ErrorRecord) -> None:
        converted = error_record_to_ps(record)
        self._write(lambda core: core.prepare_message(converted, message_type=PSRPMessageType.ErrorRecord))

    def _write(self, action: Any) -> None:
        run = self._run
        pool = run.pool
        with pool.cond:
            while run.queued_bytes > OUTBOX_HIGH_WATER and not (run.stop_event.is_set() or pool.closed):
                pool.cond.wait(1.0)
            if run.stop_event.is_set() or pool.closed:
                raise PipelineStopped()
            action(run.core)
            pool.route()


def _write_null(core: ServerPipeline) -> None:
    """Write ``$null`` as PowerShell does (``<Nil />``); psrpcore would send an empty message,
    which pypsrp reads as ``""``."""
    core.write_output(None)
    queued = core.runspace_pool._send_buffer[-1]
    queued._data = bytearray(
        create_message(
            False,
            PSRPMessageType.PipelineOutput,
            b"<Nil />",
            core.runspace_pool.runspace_pool_id,
            core.pipeline_id,
        )
    )


class ShellPool:
    """A runspace pool opened by one client, with the ScriptHost that runs its pipelines."""

    def __init__(self, shell_id: str, resource_uri: str, owner: str, client_ip: str) -> None:
        self.shell_id = shell_id.upper()
        self.resource_uri = resource_uri
        self.owner = owner
        self.client_ip = client_ip
        self.created = time.monotonic()
        self.cond = threading.Condition()
        self.rp = ServerRunspacePool()
        self.host: ScriptHost | None = None
        self.outbox: list[Any] = []
        self.pipelines: dict[str, PipelineRun] = {}
        self._by_uuid: dict[uuid.UUID, PipelineRun] = {}
        self.max_runspaces = 1
        self.running = 0
        self.closed = False

    # -- psrpcore plumbing (call with self.cond held) ---------------------------------------

    @property
    def opened(self) -> bool:
        return bool(self.rp.state == RunspacePoolState.Opened)

    def route(self) -> None:
        """Move psrpcore's queued messages into the pool's and the pipelines' own outboxes."""
        queued = self.rp._send_buffer
        if not queued:
            return
        self.rp._send_buffer = []
        for message in queued:
            if message.pipeline_id is None:
                self.outbox.append(message)
                continue
            run = self._by_uuid.get(message.pipeline_id)
            if run is None:
                continue
            if run.discard_output and message.message_type != PSRPMessageType.PipelineState:
                continue
            run.outbox.append(message)
            run.queued_bytes += len(message)
        self.cond.notify_all()

    def drain(self, outbox: list[Any], amount: int) -> bytes:
        """Up to ``amount`` bytes of PSRP fragments from ``outbox`` (psrpcore fragments for us)."""
        saved = self.rp._send_buffer
        self.rp._send_buffer = outbox
        try:
            payload = self.rp.data_to_send(amount)
        finally:
            self.rp._send_buffer = saved
        return bytes(payload.data) if payload is not None else b""

    def feed(self, data: bytes, run: PipelineRun | None = None) -> None:
        """Give psrpcore data from the client and act on every complete message."""
        pipeline_id = run.core.pipeline_id if run is not None else None
        self.rp.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
        while True:
            event = self.rp.next_event()
            if event is None:
                break
            self._on_event(event)
        self.route()

    def _on_event(self, event: PSRPEvent[Any, Any]) -> None:
        if isinstance(event, InitRunspacePoolEvent):
            self.max_runspaces = max(1, int(event.max_runspaces or 1))
        elif isinstance(event, CreatePipelineEvent):
            run = self._by_uuid[event.pipeline_id]
            run.statements = _statements(event.pipeline.commands)
            if event.pipeline.no_input:
                self._start(run)
        elif isinstance(event, PipelineInputEvent):
            self._by_uuid[event.pipeline_id].input.append(from_clixml(event.data))
        elif isinstance(event, EndOfPipelineInputEvent):
            run = self._by_uuid[event.pipeline_id]
            if not run.started:
                self._start(run)
        elif isinstance(event, SetMaxRunspacesEvent | SetMinRunspacesEvent):
            self.rp.runspace_availability_response(event.ci, True)
            if isinstance(event, SetMaxRunspacesEvent):
                self.max_runspaces = max(1, int(event.count))
                self.cond.notify_all()
        elif isinstance(event, GetAvailableRunspacesEvent):
            self.rp.runspace_availability_response(event.ci, max(0, self.max_runspaces - self.running))
        elif isinstance(event, ResetRunspaceStateEvent):
            self.rp.runspace_availability_response(event.ci, False)
        else:
            log.debug("shell %s: PSRP event %s needs no action", self.shell_id, type(event).__name__)

    # -- pipelines ---------------------------------------------------------------------------

    def new_pipeline(self, command_id: str) -> PipelineRun:
        run = PipelineRun(self, command_id)
        self.pipelines[run.command_id] = run
        self._by_uuid[run.core.pipeline_id] = run
        return run

    def forget(self, run: PipelineRun) -> None:
        """Drop a finished (or abandoned) pipeline from the pool and from psrpcore."""
        self.pipelines.pop(run.command_id, None)
        self._by_uuid.pop(run.core.pipeline_id, None)
        self.rp.pipeline_table.pop(run.core.pipeline_id, None)

    def stop(self, run: PipelineRun) -> None:
        """The client's ctrl_c: the host sees ``stop_event``; queued output is no longer wanted."""
        run.stop_event.set()
        run.discard_output = True
        run.outbox.clear()
        run.queued_bytes = 0
        self.cond.notify_all()

    def _start(self, run: PipelineRun) -> None:
        run.started = True
        run.thread = threading.Thread(
            target=self._run_pipeline, args=(run,), name=f"wsman-pipeline-{run.command_id[:8]}", daemon=True
        )
        run.thread.start()

    def _run_pipeline(self, run: PipelineRun) -> None:
        with self.cond:
            while self.running >= self.max_runspaces and not (run.stop_event.is_set() or self.closed):
                self.cond.wait()
            # Running is not announced: real PowerShell does not send that state message.
            run.core._change_state(PSInvocationState.Running, emit=False)
            host = self.host
            begin = not (run.stop_event.is_set() or self.closed or host is None)
            if begin:
                self.running += 1
        outcome: tuple[str, ErrorRecord | None] = ("stopped", None)
        try:
            if begin and host is not None:
                outcome = self._invoke(host, run)
        finally:
            with self.cond:
                if begin:
                    self.running -= 1
                self._finish(run, *outcome)
                run.finished = True
                self.route()
                self.cond.notify_all()

    def _invoke(self, host: ScriptHost, run: PipelineRun) -> tuple[str, ErrorRecord | None]:
        streams = _Streams(run)
        try:
            for index, commands in enumerate(run.statements):
                host.invoke(commands, (run.input or None) if index == 0 else None, streams)
        except PSTerminatingError as exc:
            return ("failed", exc.record)
        except PipelineStopped:
            return ("stopped", None)
        except Exception as exc:
            log.exception("shell %s pipeline %s: internal sandbox error", self.shell_id, run.command_id)
            record = ErrorRecord(
                message=f"internal sandbox error: {type(exc).__name__}: {exc}",
                fq_error_id="SandboxInternalError",
                category=ErrorCategory.NotSpecified,
                exception_type="System.InvalidOperationException",
            )
            return ("failed", record)
        return ("stopped", None) if run.stop_event.is_set() else ("completed", None)

    def _finish(self, run: PipelineRun, outcome: str, record: ErrorRecord | None) -> None:
        if outcome == "completed":
            run.core.complete()
        elif outcome == "failed" and record is not None:
            run.core._change_state(PSInvocationState.Failed, error_record_to_ps(record))
        else:
            run.core.stop()
        log.debug("shell %s pipeline %s: %s", self.shell_id, run.command_id, outcome)

    # -- closing -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every pipeline, give them a moment to unwind, then close the host. Idempotent."""
        with self.cond:
            if self.closed:
                return
            self.closed = True
            threads = [run.thread for run in self.pipelines.values() if run.thread is not None]
            for run in self.pipelines.values():
                self.stop(run)
            self.cond.notify_all()
        deadline = time.monotonic() + CLOSE_GRACE_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("shell %s: pipeline thread %s ignored the stop", self.shell_id, thread.name)
        with self.cond:
            for run in list(self.pipelines.values()):
                self.forget(run)
            host, self.host = self.host, None
        if host is not None:
            try:
                host.close()
            except Exception:
                log.exception("shell %s: ScriptHost.close() failed", self.shell_id)
        log.info("closed runspace pool %s", self.shell_id)


def _statements(commands: Sequence[Any]) -> list[list[PipelineCommand]]:
    """psrpcore's flat command list -> statements (``add_statement`` splits them) of runtime commands."""
    statements: list[list[PipelineCommand]] = [[]]
    for command in commands:
        parameters = [
            (None if name is None else str(name), from_clixml(value)) for name, value in command.parameters
        ]
        statements[-1].append(PipelineCommand(str(command.command_text), bool(command.is_script), parameters))
        if command.end_of_statement:
            statements.append([])
    return [statement for statement in statements if statement]
