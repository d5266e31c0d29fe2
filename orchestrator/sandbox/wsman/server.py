"""``WinRMEndpoint``: WS-Management over HTTP(S) on loopback, Basic auth, for the real pypsrp client.

Transport choices that matter to the client:

* HTTP/1.1 keep-alive (pypsrp uses one ``requests`` session), one thread per connection, so a
  long-polling Receive on one connection never blocks a Send or Signal on another;
* TCP_NODELAY and the whole response in a single write: with Nagle on and ``http.server``'s
  separate header/body writes every request stalls ~40 ms on the delayed ACK;
* TLS is negotiated on the connection's own thread, so a slow or broken client cannot stall
  ``accept()`` for everyone else;
* ``stop()`` shuts every open connection down, so clients blocked on a Receive see the
  endpoint disappear instead of waiting for their read timeout.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import http.server
import ipaddress
import logging
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from orchestrator.sandbox.runtime import ScriptHostFactory
from orchestrator.sandbox.wsman import soap
from orchestrator.sandbox.wsman.certs import ensure_certificate
from orchestrator.sandbox.wsman.faults import EndpointFaults
from orchestrator.sandbox.wsman.service import MAX_ENVELOPE_KB, WSManService
from orchestrator.sandbox.wsman.soap import SoapFault, WSManRequest

__all__ = ["WinRMEndpoint"]

log = logging.getLogger("orchestrator.sandbox.wsman")

_MAX_BODY = MAX_ENVELOPE_KB * 1024 + 64 * 1024
_IDLE_CONNECTION_TIMEOUT_S = 300.0


def _loopback_address(bind: str) -> str:
    if bind.lower() == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(bind.strip("[]"))
    except ValueError:
        raise ValueError(f"bind must be a loopback IP address (127.0.0.1, ::1), not {bind!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox endpoint only listens on loopback; refusing to bind {bind!r}")
    return str(address)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, endpoint: WinRMEndpoint, address: tuple[str, int], family: socket.AddressFamily
    ) -> None:
        self.address_family = family
        self.endpoint = endpoint
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        if self.endpoint._tls is not None:
            sock = self.endpoint._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = _IDLE_CONNECTION_TIMEOUT_S
    server: _Server

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s: " + format, self.client_address[0], *args)

    def do_GET(self) -> None:
        self._reply(405, b"", extra={"Allow": "POST"})

    def do_POST(self) -> None:
        endpoint = self.server.endpoint
        length = int(self.headers.get("Content-Length") or "0")
        if length < 0 or length > _MAX_BODY:
            self.close_connection = True
            self._reply(413, b"")
            return
        body = self.rfile.read(length)
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            self._reply(404, b"")
            return
        username = endpoint._authenticate(self.headers.get("Authorization"))
        if username is None:
            log.info("rejected request from %s: authentication failed", self.client_address[0])
            self._reply(401, b"", extra={"WWW-Authenticate": 'Basic realm="WSMAN"'})
            return
        request: WSManRequest | None = None
        try:
            request = soap.parse_request(body)
            decision = (
                endpoint._faults.on_request(request.short_action, request.shell_id)
                if endpoint._faults
                else "ok"
            )
            if decision != "ok":
                log.info("fault hook: %s %s -> %s", request.short_action, request.shell_id, decision)
                if decision == "hang":
                    endpoint._stopping.wait()
                self._drop()
                return
            log.debug("%s shell=%s", request.short_action, request.shell_id)
            response = endpoint._service.handle(request, username, self.client_address[0])
            status = 200
        except SoapFault as fault:
            if endpoint._stopping.is_set():
                self._drop()
                return
            level = logging.DEBUG if fault.code == soap.OPERATION_TIMEOUT else logging.INFO
            log.log(
                level,
                "fault %d for %s: %s",
                fault.code,
                request.short_action if request else "?",
                fault.reason,
            )
            response, status = soap.fault_envelope(request, fault, "localhost"), 500
        except Exception as exc:
            log.exception("internal endpoint error")
            internal = SoapFault(soap.INVALID_REQUEST, f"internal sandbox error: {type(exc).__name__}: {exc}")
            response, status = soap.fault_envelope(request, internal, "localhost"), 500
        self._reply(status, response, content_type="application/soap+xml;charset=UTF-8")

    def _drop(self) -> None:
        """Close the connection without an answer (a "dropped" request, or the endpoint is stopping)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def _reply(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        reason = self.responses.get(status, ("",))[0]
        headers = [
            f"HTTP/1.1 {status} {reason}",
            f"Server: {self.server_version}",
            f"Content-Length: {len(body)}",
        ]
        if content_type:
            headers.append(f"Content-Type: {content_type}")
        headers.extend(f"{key}: {value}" for key, value in (extra or {}).items())
        if self.close_connection:
            headers.append("Connection: close")
        self.wfile.write(("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body)


class WinRMEndpoint:
    """A WinRM (WS-Management) endpoint for PSRP clients, backed by ``host_factory``'s ScriptHosts.

    ``port=0`` picks a free port (see ``port``/``url`` after ``start()``); ``https=True`` needs
    ``cert_dir``, where a self-signed certificate is created once and reused (``ca_cert_path``
    is what clients pass as ``cert_validation``). ``operation_timeout_cap_s`` shortens the wait
    of an idle Receive (tests); ``faults`` is consulted on every authenticated request.
    """

    def __init__(
        self,
        host_factory: ScriptHostFactory,
        *,
        username: str,
        password: str,
        bind: str = "127.0.0.1",
        port: int = 0,
        https: bool = False,
        cert_dir: Path | None = None,
        faults: EndpointFaults | None = None,
        operation_timeout_cap_s: float | None = None,
    ) -> None:
        if not username:
            raise ValueError("username must not be empty")
        if https and cert_dir is None:
            raise ValueError("https=True needs cert_dir (where the self-signed certificate is kept)")
        self._bind = _loopback_address(bind)
        self._requested_port = port
        self._credentials = (username, password)
        self._faults = faults
        self._stopping = threading.Event()
        self._tls: ssl.SSLContext | None = None
        self.ca_cert_path: Path | None = None
        if https and cert_dir is not None:
            pair = ensure_certificate(cert_dir)
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.minimum_version = ssl.TLSVersion.TLSv1_2
            self._tls.load_cert_chain(pair.cert_path, pair.key_path)
            self.ca_cert_path = pair.cert_path
        family = socket.AF_INET6 if ":" in self._bind else socket.AF_INET
        self._server = _Server(self, (self._bind, port), family)
        self.port: int = int(self._server.server_address[1])
        host = f"[{self._bind}]" if family == socket.AF_INET6 else self._bind
        self.url = f"{'https' if https else 'http'}://{host}:{self.port}/wsman"
        self._service = WSManService(
            host_factory,
            endpoint_url=self.url,
            operation_timeout_cap_s=operation_timeout_cap_s,
            stopping=self._stopping,
        )
        self._thread: threading.Thread | None = None
        self._stop_lock = threading.Lock()
        self._stopped = False
        self._serving = threading.Event()

    @property
    def host(self) -> str:
        """The address clients connect to (what pypsrp's ``server`` argument should be)."""
        return self._bind

    def _authenticate(self, header: str | None) -> str | None:
        """Basic auth only; returns the user name, or None (401) for anything else."""
        if not header or header[:6].lower() != "basic ":
            return None
        try:
            user, _, password = (
                base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        expected_user, expected_password = self._credentials
        user_ok = hmac.compare_digest(user.encode(), expected_user.encode())
        password_ok = hmac.compare_digest(password.encode(), expected_password.encode())
        return user if user_ok and password_ok else None

    def start(self) -> None:
        """Serve on a background thread; returns once the socket accepts connections."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"wsman-endpoint-{self.port}", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` (from another thread)."""
        with self._stop_lock:
            if self._stopped:
                return
            self._serving.set()
        log.info("WinRM endpoint listening on %s", self.url)
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop pipelines, close pools and hosts, close every socket. Idempotent."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        self._stopping.set()
        if self._serving.is_set():
            self._server.shutdown()
        self._server.server_close()
        with self._server.connections_lock:
            connections = list(self._server.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._service.close_all()
        if self._thread is not None:
            self._thread.join(5.0)
        log.info("WinRM endpoint %s stopped", self.url)

    def __enter__(self) -> WinRMEndpoint:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
