"""The WS-Man actions a PSRP client uses, on top of ``ShellPool``: Create, Command, Send, Receive,
Signal, Delete and Get (shell state for ``is_alive()``, ``winrm/config`` for
``update_max_payload_size()``). Anything else is answered with a fault, never half-done.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
import uuid
from xml.sax.saxutils import escape

from psrpcore import PSRPCoreError

from orchestrator.sandbox.runtime import ScriptHostFactory
from orchestrator.sandbox.wsman import soap
from orchestrator.sandbox.wsman.shell import ShellPool
from orchestrator.sandbox.wsman.soap import SoapFault, WSManRequest

__all__ = ["MAX_ENVELOPE_KB", "WSManService"]

log = logging.getLogger("orchestrator.sandbox.wsman")

MAX_ENVELOPE_KB = 500  # what Windows Server 2012+ reports; pypsrp then fragments at ~375 KB
_PS_RESOURCE_PREFIX = "http://schemas.microsoft.com/powershell/"
_CONFIG_URI = "http://schemas.microsoft.com/wbem/wsman/1/config"
_SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
_DONE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
_RUNNING = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"


class WSManService:
    """Holds the open shells and answers one parsed request at a time (thread-safe)."""

    def __init__(
        self,
        host_factory: ScriptHostFactory,
        *,
        endpoint_url: str,
        operation_timeout_cap_s: float | None,
        stopping: threading.Event,
    ) -> None:
        self._factory = host_factory
        self._url = endpoint_url
        self._cap = operation_timeout_cap_s
        self._stopping = stopping
        self._lock = threading.Lock()
        self._shells: dict[str, ShellPool] = {}

    def handle(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        """Answer ``request``; raises ``SoapFault`` for a fault answer."""
        handler = {
            "Create": self._create,
            "Delete": self._delete,
            "Get": self._get,
            "Command": self._command,
            "Send": self._send,
            "Receive": self._receive,
            "Signal": self._signal,
        }.get(request.short_action)
        if handler is None:
            raise SoapFault(
                soap.ACTION_NOT_SUPPORTED, f"The sandbox endpoint does not support {request.action}."
            )
        return handler(request, username, client_ip)

    def close_all(self) -> None:
        with self._lock:
            shells, self._shells = list(self._shells.values()), {}
        for shell in shells:
            shell.close()

    # -- helpers ---------------------------------------------------------------------------

    def _shell(self, request: WSManRequest, username: str) -> ShellPool:
        shell_id = request.shell_id
        with self._lock:
            shell = self._shells.get(shell_id or "")
        if shell is None or shell.owner != username or shell.closed:
            raise SoapFault(
                soap.SHELL_NOT_FOUND,
                f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell "
                "was not found on the server.",
            )
        return shell

    @staticmethod
    def _b64(text: str | None) -> bytes:
        try:
            return base64.b64decode((text or "").encode(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SoapFault(soap.INVALID_REQUEST, "Stream data is not valid base64.") from exc

    # -- actions ---------------------------------------------------------------------------

    def _create(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        if not request.resource_uri.startswith(_PS_RESOURCE_PREFIX):
            raise SoapFault(soap.ACTION_NOT_SUPPORTED, "Only PowerShell (PSRP) shells are supported.")
        shell_el = request.find(".")
        creation = request.find("pwsh:creationXml")
        if shell_el is None or creation is None:
            raise SoapFault(soap.INVALID_REQUEST, "Create needs rsp:Shell with creationXml.")
        shell_id = (shell_el.attrib.get("ShellId") or str(uuid.uuid4())).upper()
        shell = ShellPool(shell_id, request.resource_uri, username, client_ip)
        with shell.cond:
            try:
                shell.feed(self._b64(creation.text))
            except (PSRPCoreError, ValueError, KeyError) as exc:
                raise SoapFault(soap.INVALID_REQUEST, f"Invalid PSRP creation data: {exc}") from exc
        shell.host = self._factory.open_pool(shell_id, username)
        with self._lock:
            if shell_id in self._shells:
                host = shell.host
                shell.host = None
                if host is not None:
                    host.close()
                raise SoapFault(soap.INVALID_REQUEST, f"A shell with ShellId {shell_id} already exists.")
            self._shells[shell_id] = shell
        log.info("opened runspace pool %s for %s (max_runspaces=%d)", shell_id, username, shell.max_runspaces)
        uri = escape(request.resource_uri)
        return soap.response_envelope(
            request,
            "<wst:ResourceCreated>"
            f"<wsa:Address>{escape(self._url)}</wsa:Address><wsa:ReferenceParameters>"
            f"<wsman:ResourceURI>{uri}</wsman:ResourceURI><wsman:SelectorSet>"
            f'<wsman:Selector Name="ShellId">{shell_id}</wsman:Selector>'
            "</wsman:SelectorSet></wsa:ReferenceParameters></wst:ResourceCreated>" + self._shell_xml(shell),
        )

    def _shell_xml(self, shell: ShellPool) -> str:
        age = int(time.monotonic() - shell.created)
        return (
            f"<rsp:Shell><rsp:ShellId>{shell.shell_id}</rsp:ShellId>"
            f"<rsp:ResourceUri>{escape(shell.resource_uri)}</rsp:ResourceUri>"
            f"<rsp:Owner>{escape(shell.owner)}</rsp:Owner><rsp:ClientIP>{escape(shell.client_ip)}</rsp:ClientIP>"
            "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams>"
            "<rsp:OutputStreams>stdout</rsp:OutputStreams><rsp:State>Connected</rsp:State>"
            f"<rsp:ShellRunTime>P0DT0H0M{age}S</rsp:ShellRunTime>"
            "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
        )

    def _delete(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        shell = self._shell(request, username)
        with self._lock:
            self._shells.pop(shell.shell_id, None)
        shell.close()
        return soap.response_envelope(request, "")

    def _get(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        if request.resource_uri.rstrip("/") == _CONFIG_URI:
            return soap.response_envelope(
                request,
                f"<cfg:Config><cfg:MaxEnvelopeSizekb>{MAX_ENVELOPE_KB}</cfg:MaxEnvelopeSizekb>"
                "<cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
                "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests></cfg:Config>",
            )
        if request.resource_uri.rstrip("/") == _SHELL_URI or request.resource_uri.startswith(
            _PS_RESOURCE_PREFIX
        ):
            return soap.response_envelope(request, self._shell_xml(self._shell(request, username)))
        raise SoapFault(soap.ACTION_NOT_SUPPORTED, f"Get is not supported for {request.resource_uri}.")

    def _command(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        shell = self._shell(request, username)
        line = request.find(".")
        if line is None or line.tag != f"{{{soap.NS['rsp']}}}CommandLine":
            raise SoapFault(soap.INVALID_REQUEST, "Command needs rsp:CommandLine.")
        command_id = (line.attrib.get("CommandId") or str(uuid.uuid4())).upper()
        data = b"".join(self._b64(arg.text) for arg in line.findall("rsp:Arguments", soap.NS))
        with shell.cond:
            if command_id in shell.pipelines:
                raise SoapFault(soap.INVALID_REQUEST, f"Command {command_id} already exists.")
            try:
                run = shell.new_pipeline(command_id)
                shell.feed(data, run)
            except (PSRPCoreError, ValueError, KeyError) as exc:
                raise SoapFault(soap.INVALID_REQUEST, f"Invalid PSRP pipeline data: {exc}") from exc
        return soap.response_envelope(
            request, f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        )

    def _send(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        shell = self._shell(request, username)
        for stream in request.body.findall("rsp:Stream", soap.NS) if request.body is not None else []:
            if stream.attrib.get("Name", "stdin") != "stdin":
                continue  # "pr": host-call responses; the sandbox never makes host calls
            data = self._b64(stream.text)
            command_id = stream.attrib.get("CommandId", "").upper()
            with shell.cond:
                run = shell.pipelines.get(command_id) if command_id else None
                if command_id and run is None:
                    raise SoapFault(soap.INVALID_REQUEST, f"Unknown CommandId {command_id}.")
                try:
                    shell.feed(data, run)
                except (PSRPCoreError, ValueError, KeyError) as exc:
                    raise SoapFault(soap.INVALID_REQUEST, f"Invalid PSRP data: {exc}") from exc
        return soap.response_envelope(request, "<rsp:SendResponse/>")

    def _signal(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        shell = self._shell(request, username)
        signal = request.find(".")
        code_el = request.find("rsp:Code")
        code = (code_el.text or "") if code_el is not None else ""
        command_id = (signal.attrib.get("CommandId", "") if signal is not None else "").upper()
        with shell.cond:
            run = shell.pipelines.get(command_id)
            if run is not None and (code.endswith("ctrl_c") or code.endswith("Terminate")):
                shell.stop(run)
                if code.endswith("Terminate"):
                    shell.forget(run)
                log.info(
                    "shell %s pipeline %s: signal %s", shell.shell_id, command_id, code.rsplit("/", 1)[-1]
                )
        return soap.response_envelope(request, "<rsp:SignalResponse/>")

    def _receive(self, request: WSManRequest, username: str, client_ip: str) -> bytes:
        shell = self._shell(request, username)
        desired = request.find("rsp:DesiredStream")
        command_id = (desired.attrib.get("CommandId", "") if desired is not None else "").upper()
        wait_s = (
            request.operation_timeout_s if self._cap is None else min(request.operation_timeout_s, self._cap)
        )
        deadline = time.monotonic() + wait_s
        amount = max(22, (request.max_envelope_size - 4096) * 3 // 4)
        with shell.cond:
            run = shell.pipelines.get(command_id) if command_id else None
            if command_id and run is None:
                raise SoapFault(soap.INVALID_REQUEST, f"Unknown CommandId {command_id}.")
            outbox = run.outbox if run is not None else shell.outbox
            while not outbox and not (run is not None and run.finished):
                if self._stopping.is_set() or shell.closed:
                    raise SoapFault(soap.SHELL_NOT_FOUND, "The shell was closed.")
                if run is None and not shell.opened:
                    break  # answer at once while the pool opens: a timeout there fails open()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SoapFault(
                        soap.OPERATION_TIMEOUT,
                        "The WS-Management service cannot complete the operation within the time specified "
                        "in OperationTimeout.",
                        subcode="wsman:TimedOut",
                    )
                shell.cond.wait(remaining)
            data = shell.drain(outbox, amount)
            done = run is not None and run.finished and not run.outbox
            if run is not None:
                run.queued_bytes = sum(len(message) for message in run.outbox)
                if done:
                    shell.forget(run)
            shell.cond.notify_all()
        attr = f' CommandId="{command_id}"' if command_id else ""
        body = (
            f'<rsp:Stream Name="stdout"{attr}>{base64.b64encode(data).decode()}</rsp:Stream>' if data else ""
        )
        if run is not None:
            state = _DONE if done else _RUNNING
            exit_code = "<rsp:ExitCode>0</rsp:ExitCode>" if done else ""
            body += (
                f'<rsp:CommandState CommandId="{command_id}" State="{state}">{exit_code}</rsp:CommandState>'
            )
        return soap.response_envelope(request, f"<rsp:ReceiveResponse>{body}</rsp:ReceiveResponse>")
