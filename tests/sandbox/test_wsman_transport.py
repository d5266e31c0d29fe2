"""Transport-level behaviour: HTTPS with the generated certificate, loopback-only binding, HTTP
details, fault hooks (drop/hang) as the real pypsrp client experiences them."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from pypsrp.powershell import PowerShell, RunspacePool
from wsman_peer import PASSWORD, USER, PeerFactory, client

from orchestrator.sandbox.wsman import FaultRule, ScriptedFaults, WinRMEndpoint
from orchestrator.sandbox.wsman.certs import ensure_certificate

pytestmark = pytest.mark.timeout(30)


def test_https_with_the_generated_ca_and_reuse_across_restarts(tmp_path: Path) -> None:
    factory = PeerFactory()
    with WinRMEndpoint(factory, username=USER, password=PASSWORD, https=True, cert_dir=tmp_path) as ep:
        assert ep.url.startswith("https://127.0.0.1:") and ep.ca_cert_path is not None
        first_cert = ep.ca_cert_path.read_bytes()
        with RunspacePool(client(ep)) as pool:
            ps = PowerShell(pool)
            ps.add_script("emit").add_parameter("Value", "over tls")
            assert ps.invoke() == ["over tls"]
    with WinRMEndpoint(factory, username=USER, password=PASSWORD, https=True, cert_dir=tmp_path) as ep2:
        assert ep2.ca_cert_path is not None and ep2.ca_cert_path.read_bytes() == first_cert
        with RunspacePool(client(ep2)) as pool:
            assert pool.is_alive()


def test_https_rejects_an_untrusted_client_view(tmp_path: Path) -> None:
    other = ensure_certificate(tmp_path / "other")  # a different CA: validation must fail
    with (
        WinRMEndpoint(
            PeerFactory(), username=USER, password=PASSWORD, https=True, cert_dir=tmp_path / "ep"
        ) as ep,
        pytest.raises(requests.exceptions.SSLError),
    ):
        RunspacePool(client(ep, cert_validation=str(other.cert_path))).open()


def test_certificate_is_regenerated_when_damaged(tmp_path: Path) -> None:
    pair = ensure_certificate(tmp_path)
    pair.cert_path.write_text("garbage")
    again = ensure_certificate(tmp_path)
    assert b"BEGIN CERTIFICATE" in again.cert_path.read_bytes()


def test_ipv6_loopback(tmp_path: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        ep = WinRMEndpoint(PeerFactory(), username=USER, password=PASSWORD, bind="::1")
    except OSError:
        pytest.skip("::1 not available here")
    with ep:
        assert ep.url.startswith("http://[::1]:")
        with RunspacePool(client(ep)) as pool:
            assert pool.is_alive()


@pytest.mark.parametrize("bind", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_refuses_non_loopback_addresses(bind: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        WinRMEndpoint(PeerFactory(), username=USER, password=PASSWORD, bind=bind)


def test_https_needs_a_cert_dir() -> None:
    with pytest.raises(ValueError, match="cert_dir"):
        WinRMEndpoint(PeerFactory(), username=USER, password=PASSWORD, https=True)


def test_plain_http_details() -> None:
    with WinRMEndpoint(PeerFactory(), username=USER, password=PASSWORD) as ep:
        unauthenticated = requests.post(ep.url, data=b"<x/>", timeout=5)
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["WWW-Authenticate"] == 'Basic realm="WSMAN"'
        wrong_path = requests.post(ep.url.replace("/wsman", "/other"), auth=(USER, PASSWORD), timeout=5)
        assert wrong_path.status_code == 404
        garbage = requests.post(ep.url, data=b"not xml", auth=(USER, PASSWORD), timeout=5)
        assert garbage.status_code == 500 and b"WSManFault" in garbage.content


def test_fault_drop_is_a_connection_error() -> None:
    faults = ScriptedFaults([FaultRule("drop", action="Command")])
    with (
        WinRMEndpoint(PeerFactory(), username=USER, password=PASSWORD, faults=faults) as ep,
        RunspacePool(client(ep, reconnection_retries=0)) as pool,
    ):
        ps = PowerShell(pool)
        ps.add_script("emit").add_parameter("Value", "x")
        with pytest.raises(requests.exceptions.ConnectionError):
            ps.invoke()
        ps = PowerShell(pool)  # the rule fired once; the next pipeline works
        ps.add_script("emit").add_parameter("Value", "y")
        assert ps.invoke() == ["y"]
    assert ("Command", pool.id, "drop") in faults.history


def test_fault_hang_times_the_client_out_and_stop_releases_it() -> None:
    # Command, not Receive: pypsrp retries a timed-out Receive five times with back-off.
    faults = ScriptedFaults([FaultRule("hang", action="Command", times=None)])
    ep = WinRMEndpoint(PeerFactory(), username=USER, password=PASSWORD, faults=faults)
    ep.start()
    try:
        wsman = client(ep, operation_timeout=1, read_timeout=1, connection_timeout=2, reconnection_retries=0)
        pool = RunspacePool(wsman)
        pool.open()
        ps = PowerShell(pool)
        ps.add_script("emit").add_parameter("Value", "x")
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ReadTimeout):
            ps.invoke()
        assert time.monotonic() - started < 10
        # pypsrp's is_alive() refuses to open a new connection after the timed-out one: False.
        assert pool.is_alive() is False
    finally:
        stopper = threading.Thread(target=ep.stop)
        stopper.start()
        stopper.join(10)
        assert not stopper.is_alive(), "stop() must not wait for hung requests"


def test_scripted_faults_rules() -> None:
    faults = ScriptedFaults()
    faults.add(FaultRule("drop", action="Send", shell_id="abc", skip=1, times=2))
    assert faults.on_request("Send", "ABC") == "ok"
    assert faults.on_request("Receive", "ABC") == "ok"
    assert faults.on_request("Send", "other") == "ok"
    assert faults.on_request("Send", "abc") == "drop"
    assert faults.on_request("Send", "abc") == "drop"
    assert faults.on_request("Send", "abc") == "ok"
    faults.add(FaultRule("hang", times=None))
    assert faults.on_request("Get", None) == "hang"
    faults.clear()
    assert faults.on_request("Get", None) == "ok"
    assert len(faults.history) == 8
