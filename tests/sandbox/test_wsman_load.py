"""Volume and concurrency through the real pypsrp client: fragmentation both ways, several pools on
several threads, several pipelines in one pool with max_runspaces enforced."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from wsman_peer import PASSWORD, USER, PeerFactory, client, wait_for

from orchestrator.sandbox.wsman import WinRMEndpoint

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def factory() -> PeerFactory:
    return PeerFactory()


@pytest.fixture
def endpoint(factory: PeerFactory) -> Iterator[WinRMEndpoint]:
    with WinRMEndpoint(factory, username=USER, password=PASSWORD, operation_timeout_cap_s=1.0) as ep:
        yield ep


def test_twenty_thousand_objects_out(endpoint: WinRMEndpoint) -> None:
    wsman = client(endpoint)
    wsman.update_max_payload_size()
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("emit-many").add_parameter("Count", 20000)
        out = ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED
    assert len(out) == 20000 and out[0] == "item-0" and out[-1] == "item-19999"


def test_one_megabyte_script_parameter_in(endpoint: WinRMEndpoint, factory: PeerFactory) -> None:
    big = "".join(chr(0x20 + (i * 7) % 0x5F) for i in range(1024 * 1024))
    with RunspacePool(client(endpoint)) as pool:  # default 150 KiB envelopes: many Send fragments
        ps = PowerShell(pool)
        ps.add_script("len").add_parameter("Value", big)
        assert ps.invoke() == [len(big)]
    assert dict(factory.invocations[-1][1][0].parameters)["Value"] == big


def test_four_threads_each_with_its_own_pool(endpoint: WinRMEndpoint) -> None:
    failures: list[BaseException] = []
    results: dict[int, list[str]] = {}

    def worker(index: int) -> None:
        try:
            with RunspacePool(client(endpoint)) as pool:
                seen = []
                for n in range(25):
                    ps = PowerShell(pool)
                    ps.add_script("emit").add_parameter("Value", f"w{index}-{n}")
                    seen.extend(ps.invoke())
                results[index] = seen
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(45)
    assert not failures
    assert {i: len(v) for i, v in results.items()} == {0: 25, 1: 25, 2: 25, 3: 25}
    assert results[2][7] == "w2-7"


def test_concurrent_pipelines_in_one_pool_respect_max_runspaces(
    endpoint: WinRMEndpoint, factory: PeerFactory
) -> None:
    with RunspacePool(client(endpoint), min_runspaces=1, max_runspaces=2) as pool:
        shells = []
        for _ in range(3):
            ps = PowerShell(pool)
            ps.add_script("sleep").add_parameter("Seconds", 0.4)
            ps.begin_invoke()
            shells.append(ps)
        assert wait_for(lambda: factory.active == 2)
        for ps in shells:
            assert ps.end_invoke() == ["slept"]
    assert factory.max_active == 2
    assert len(factory.invocations) == 3
