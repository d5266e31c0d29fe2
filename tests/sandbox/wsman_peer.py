"""A protocol-level ScriptHost for the endpoint tests: a tiny command vocabulary, no PowerShell.

Each pipeline command's text (script or cmdlet name) is one verb; its parameters steer it:

* ``emit``        write each ``-Value`` / positional argument (a list parameter is written as one
                  object), then every pipeline input object;
* ``emit-many``   write ``-Count`` small strings (``item-0``, ...);
* ``echo-params`` write one ``[pscustomobject]`` whose properties are the parameters received;
* ``error``       write a non-terminating error (``-Message``), then output ``"after-error"``;
* ``warn``        write a warning (``-Message``);
* ``throw``       write ``"before-throw"``, then raise a terminating error (``-Message``);
* ``crash``       raise a plain Python exception (the endpoint's internal-error path);
* ``sleep``       wait up to ``-Seconds`` (default 30) for the stop signal; ``-IgnoreStop`` keeps
                  running after it (to check a stopped pipeline's writes are refused);
* ``len``         write the length of ``-Value``;
* ``samples``     write each of ``SAMPLES`` (one value of every runtime type).

Everything the host sees is recorded on the factory for assertions.
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from orchestrator.sandbox.runtime import (
    CommandRuntime,
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    PipelineCommand,
    PipelineStopped,
    PSObject,
    PSTerminatingError,
)

SAMPLE_TIME = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)
SAMPLE_GUID = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
SAMPLES: list[Any] = [
    None,
    True,
    False,
    7,
    2**40,
    1.25,
    "text",
    SAMPLE_TIME,
    SAMPLE_GUID,
    ["a", "b", 3],
    Hashtable([("One", 1), ("Two", "2")]),
    PSObject(
        [("Name", "alice"), ("Emails", ["a@x", "b@x"]), ("Size", 12)],
        ["Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object"],
        adapted=True,
    ),
    PSObject([("Alias", "bob"), ("Tags", ["x"]), ("Nested", PSObject([("Deep", 1)]))]),
    (1, "tuple"),
]


class PeerHost:
    def __init__(self, factory: PeerFactory, pool_id: str, username: str) -> None:
        self.factory = factory
        self.pool_id = pool_id
        self.username = username
        self.closed = False

    def invoke(
        self,
        commands: Sequence[PipelineCommand],
        input_objects: Sequence[Any] | None,
        streams: CommandRuntime,
    ) -> None:
        factory = self.factory
        with factory.lock:
            factory.invocations.append((self.pool_id, list(commands), list(input_objects or [])))
            factory.active += 1
            factory.max_active = max(factory.max_active, factory.active)
        try:
            for command in commands:
                self._run(command, input_objects, streams)
        finally:
            with factory.lock:
                factory.active -= 1

    def _run(self, command: PipelineCommand, inputs: Sequence[Any] | None, streams: CommandRuntime) -> None:
        named = {name.lower(): value for name, value in command.parameters if name is not None}
        positional = [value for name, value in command.parameters if name is None]
        verb = command.command_text.strip().lower()
        message = str(named.get("message", "peer message"))
        if verb == "emit":
            for value in ([named["value"]] if "value" in named else []) + positional + list(inputs or []):
                streams.write_output(value)
        elif verb == "emit-many":
            for index in range(int(named.get("count", 10))):
                streams.write_output(f"item-{index}")
        elif verb == "echo-params":
            streams.write_output(
                PSObject([(name or f"arg{i}", v) for i, (name, v) in enumerate(command.parameters)])
            )
        elif verb == "error":
            streams.write_error(_record(message, named))
            streams.write_output("after-error")
        elif verb == "warn":
            streams.write_warning(message)
        elif verb == "throw":
            streams.write_output("before-throw")
            raise PSTerminatingError(_record(message, named))
        elif verb == "crash":
            raise RuntimeError("peer crashed on purpose")
        elif verb == "sleep":
            self._sleep(float(named.get("seconds", 30)), bool(named.get("ignorestop", False)), streams)
        elif verb == "samples":
            for sample in SAMPLES:
                streams.write_output(sample)
        elif verb == "len":
            streams.write_output(len(named.get("value") or ""))
        else:
            raise PSTerminatingError(ErrorRecord(f"unknown peer verb {verb!r}", "PeerUnknownVerb"))

    def _sleep(self, seconds: float, ignore_stop: bool, streams: CommandRuntime) -> None:
        self.factory.sleeping.set()
        if ignore_stop:
            streams.stop_event.wait(seconds)
            time.sleep(0.05)
            try:
                streams.write_output("late")
            except PipelineStopped:
                self.factory.late_write_refused.set()
                raise
            return
        if streams.stop_event.wait(seconds):
            self.factory.stopped.set()
            raise PipelineStopped()
        streams.write_output("slept")

    def close(self) -> None:
        self.closed = True
        self.factory.closed_pools.append(self.pool_id)


def _record(message: str, named: dict[str, Any]) -> ErrorRecord:
    return ErrorRecord(
        message=message,
        fq_error_id=str(named.get("errorid", "PeerError,Invoke-Peer")),
        category=ErrorCategory(int(named.get("category", ErrorCategory.ObjectNotFound))),
        exception_type=str(named.get("exceptiontype", "Microsoft.Exchange.Management.PeerException")),
        target_object=named.get("target", "peer-target"),
        activity=str(named.get("activity", "Invoke-Peer")),
    )


class PeerFactory:
    """``ScriptHostFactory`` for tests; records what the endpoint did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hosts: dict[str, PeerHost] = {}
        self.invocations: list[tuple[str, list[PipelineCommand], list[Any]]] = []
        self.closed_pools: list[str] = []
        self.active = 0
        self.max_active = 0
        self.sleeping = threading.Event()
        self.stopped = threading.Event()
        self.late_write_refused = threading.Event()

    def open_pool(self, pool_id: str, username: str) -> PeerHost:
        host = PeerHost(self, pool_id, username)
        with self.lock:
            self.hosts[pool_id] = host
        return host


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout`` passes (no sleeping on logic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


USER = "sandbox-operator"
PASSWORD = "s3cret-Pa55"  # test credential for a loopback-only endpoint


def client(endpoint: Any, *, password: str = PASSWORD, **kwargs: Any) -> Any:
    """A real pypsrp ``WSMan`` for ``endpoint`` (Basic; HTTPS validated against its own CA)."""
    from pypsrp.wsman import WSMan

    https = endpoint.ca_cert_path is not None
    options: dict[str, Any] = {
        "port": endpoint.port,
        "username": USER,
        "password": password,
        "auth": "basic",
        "ssl": https,
        "encryption": "never",
        "connection_timeout": 5,
        "read_timeout": 30,
    }
    if https:
        options["cert_validation"] = str(endpoint.ca_cert_path)
    options.update(kwargs)
    return WSMan(endpoint.host, **options)
