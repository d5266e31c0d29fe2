"""PowerShellSession failure mapping against real loopback sockets (no mocks).

Each case stands up the smallest server that produces one failure a jump host can produce, and
checks the error class, that host:port is named, that the original exception is the __cause__,
and that it happens within the configured timeouts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from orchestrator.config import Secret, WinRMSettings
from orchestrator.errors import (
    AuthenticationFailed,
    EndpointError,
    HostError,
    HostTimeout,
    TransientHostError,
)
from orchestrator.session import PowerShellSession, SessionThreadError

FAST = {"connection_timeout": 1.0, "read_timeout": 2.0, "operation_timeout": 1, "reconnection_retries": 0}


def settings(port: int, *, https: bool = False, **kw: object) -> WinRMSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "https": https,
        "auth": "basic",
        "username": "operator",
        "password": Secret("not-the-real-password"),
        **FAST,
    }
    values.update(kw)
    return WinRMSettings(**values)  # type: ignore[arg-type]


def open_fails(ws: WinRMSettings, expected: type[HostError], within: float) -> HostError:
    started = time.monotonic()
    session = PowerShellSession(ws)
    with pytest.raises(expected) as info:
        session.open()
    elapsed = time.monotonic() - started
    session.close()
    session.close()  # idempotent
    err = info.value
    assert f"127.0.0.1:{ws.resolved_port}" in err.message
    assert err.__cause__ is not None
    assert err.hint
    assert elapsed < within, f"took {elapsed:.1f}s"
    return err


# --- servers ---------------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


@pytest.fixture
def black_hole() -> Iterator[int]:
    """Completes the TCP handshake (kernel backlog) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield int(sock.getsockname()[1])
    sock.close()


@contextlib.contextmanager
def _http_server(status: int, body: bytes, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost (cert PEM doubles as the CA bundle)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "host.pem", tmp_path / "host.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _tls_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


@pytest.fixture
def tls_silent_server(cert: tuple[Path, Path]) -> Iterator[int]:
    """A TLS listener that drops anything that is not a TLS handshake (like an HTTPS WinRM port)."""
    ctx = _tls_context(cert)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(2)
            try:
                ctx.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(sock.getsockname()[1])
    stop.set()
    thread.join(2)
    sock.close()


# --- cases -------------------------------------------------------------------------------------


def test_closed_port_is_transient_and_fast(closed_port: int) -> None:
    err = open_fails(settings(closed_port), TransientHostError, within=3)
    assert err.retryable and err.exit_code == 4


def test_silent_host_times_out_within_read_timeout(black_hole: int) -> None:
    err = open_fails(settings(black_hole), HostTimeout, within=5)
    assert err.retryable
    assert "read timeout 2s" in err.message


def test_http_401_is_authentication_failed() -> None:
    with _http_server(401, b"") as port:
        err = open_fails(settings(port), AuthenticationFailed, within=3)
        assert not err.retryable and err.exit_code == 5
        assert "auth=basic" in err.message and "operator" in err.message
        assert "not-the-real-password" not in err.render()


def test_http_500_is_transient() -> None:
    with _http_server(500, b"Internal Server Error") as port:
        err = open_fails(settings(port), TransientHostError, within=3)
        assert "HTTP 500" in err.message


def test_http_404_is_endpoint_error() -> None:
    with _http_server(404, b"not here") as port:
        err = open_fails(settings(port), EndpointError, within=3)
        assert "HTTP 404" in err.message and err.exit_code == 7


def _fault(code: str, text: str) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"><s:Body><s:Fault>'
        '<s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">'
        f'{text}</s:Text></s:Reason><s:Detail><f:WSManFault Code="{code}" Machine="jump01">'
        f"<f:Message>{text}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"
    ).encode()


def test_wsman_fault_unknown_configuration_is_endpoint_error() -> None:
    body = _fault("2150858811", "Cannot find the Contoso.Ops session configuration in the WSMan: drive")
    with _http_server(500, body) as port:
        err = open_fails(settings(port, configuration_name="Contoso.Ops"), EndpointError, within=3)
        assert "configuration_name" in (err.hint or "")


def test_wsman_fault_access_denied_is_authentication_failed() -> None:
    with _http_server(500, _fault("5", "Access is denied.")) as port:
        open_fails(settings(port), AuthenticationFailed, within=3)


def test_https_to_plain_http_server_is_endpoint_error() -> None:
    with _http_server(401, b"") as port:
        err = open_fails(settings(port, https=True), EndpointError, within=3)
        assert "TLS" in err.message and "ca_bundle" in (err.hint or "")


def test_plain_http_to_tls_listener_is_mapped(tls_silent_server: int) -> None:
    err = open_fails(settings(tls_silent_server), TransientHostError, within=5)
    assert "winrm.https" in (err.hint or "")


def test_self_signed_certificate_without_ca_is_endpoint_error(cert: tuple[Path, Path]) -> None:
    with _http_server(401, b"", tls=_tls_context(cert)) as port:
        err = open_fails(settings(port, https=True), EndpointError, within=3)
        assert "ca_bundle" in (err.hint or "")


def test_self_signed_certificate_with_ca_bundle_gets_through_tls(cert: tuple[Path, Path]) -> None:
    with _http_server(401, b"", tls=_tls_context(cert)) as port:
        open_fails(settings(port, https=True, ca_bundle=cert[0]), AuthenticationFailed, within=3)


def test_failed_open_can_be_retried_and_session_is_single_thread(closed_port: int) -> None:
    session = PowerShellSession(settings(closed_port))
    for _ in range(2):  # a failed open leaves the session usable for another attempt
        with pytest.raises(TransientHostError):
            session.invoke("Get-Date", {}, name="probe")
    seen: list[BaseException] = []

    def other_thread() -> None:
        try:
            session.invoke("Get-Date", {})
        except BaseException as exc:
            seen.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(5)
    assert len(seen) == 1 and isinstance(seen[0], SessionThreadError)
    assert "one session per worker thread" in str(seen[0])
    session.close()
    with pytest.raises(SessionThreadError, match="closed"):
        session.invoke("Get-Date", {})


def test_close_never_raises_even_unopened() -> None:
    session = PowerShellSession(settings(1))
    session.close()
    session.close()
