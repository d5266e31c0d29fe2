"""``ServiceBehaviour`` alone: budgets, caps and draws with an injected clock (no sleeping, no server)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.sandbox.behaviour import KnobFaults, ServiceBehaviour
from orchestrator.sandbox.tenant.model import ServiceKnobs


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**knobs: Any) -> tuple[ServiceBehaviour, Clock]:
    clock = Clock()
    k = ServiceKnobs(**knobs)
    return ServiceBehaviour(lambda: k, clock=clock), clock


def admit(b: ServiceBehaviour, cmdlet: str = "Remove-Mailbox", *, destructive: bool = True) -> Any:
    """``None`` when admitted, ``("throttled", ms)`` or ``"transient"`` when refused."""
    return b.admit(
        cmdlet,
        destructive=destructive,
        throttled=lambda ms: ("throttled", ms),  # type: ignore[arg-type,return-value]
        transient=lambda: "transient",  # type: ignore[arg-type,return-value]
    )


def call(b: ServiceBehaviour, cmdlet: str = "Remove-Mailbox", *, destructive: bool = True) -> Any:
    """One whole call as the host makes it: admit, (latency), release if admitted."""
    refusal = admit(b, cmdlet, destructive=destructive)
    if refusal is None:
        b.release()
    return refusal


def test_latency_per_cmdlet_is_case_insensitive_with_a_default() -> None:
    b, _ = make(default_latency_ms=20, cmdlet_latency_ms={"Get-Mailbox": 250})
    assert b.latency_s("get-mailbox") == 0.25
    assert b.latency_s("Get-Recipient") == 0.02


def test_destructive_budget_window_arithmetic() -> None:
    b, clock = make(destructive_budget=2, destructive_window_s=60)
    assert call(b) is None  # t = 0
    clock.now += 10
    assert call(b) is None  # t = 10
    clock.now += 10
    # t = 20: the oldest call (t = 0) leaves the window at t = 60: 40 s from now (+1 ms rounding).
    assert call(b) == ("throttled", 40_001)
    assert call(b, "Get-Mailbox", destructive=False) is None  # reads do not count
    clock.now += 39.5
    assert call(b) == ("throttled", 501)
    clock.now += 0.5  # t = 60: the first call has left the window
    assert call(b) is None
    assert call(b) == ("throttled", 10_001)  # now t = 10 is the oldest: it leaves at t = 70
    clock.now += 10
    assert call(b) is None


def test_refused_destructive_calls_do_not_use_the_budget() -> None:
    b, clock = make(destructive_budget=1, destructive_window_s=5)
    assert call(b) is None
    for _ in range(3):
        clock.now += 1
        assert call(b)[0] == "throttled"
    assert call(b) == ("throttled", 2001)  # t = 3: the admitted call (t = 0) leaves at t = 5
    clock.now += 2  # t = 5: refused calls never counted
    assert call(b) is None


def test_concurrency_cap_counts_running_calls() -> None:
    b, _ = make(concurrency_cap=2)
    assert admit(b, destructive=False) is None
    assert admit(b, destructive=False) is None
    assert admit(b, destructive=False) == ("throttled", 1000)
    b.release()
    assert admit(b, destructive=False) is None


def test_a_slot_is_held_from_admission_to_release() -> None:
    """The latency is the service working: the host waits it out after ``admit``, holding the slot."""
    b, _ = make(concurrency_cap=1, default_latency_ms=500)
    assert admit(b, "Get-Mailbox", destructive=False) is None  # arrives; waits its 0.5 s next
    assert b.latency_s("Get-Mailbox") == 0.5
    assert admit(b, "Get-Mailbox", destructive=False) == ("throttled", 1000)  # a second caller meanwhile
    b.release()  # the first call ends (or its pipeline was stopped during the wait)
    assert call(b, "Get-Mailbox", destructive=False) is None


def test_transient_fault_rates_and_seeded_draws() -> None:
    always, _ = make(transient_fault_rates={"Get-EXOMailbox": 1.0})
    assert [call(always, "get-exomailbox", destructive=False) for _ in range(5)] == ["transient"] * 5
    assert call(always, "Get-Mailbox", destructive=False) is None

    def sequence(seed: int) -> list[bool]:
        b, _ = make(seed=seed, transient_fault_rates={"Get-EXOMailbox": 0.5})
        return [call(b, "Get-EXOMailbox", destructive=False) is None for _ in range(40)]

    assert sequence(3) == sequence(3)
    assert sequence(3) != sequence(4)
    assert 5 < sum(sequence(3)) < 35


def test_a_transient_fault_frees_the_concurrency_slot() -> None:
    b, _ = make(concurrency_cap=1, transient_fault_rates={"Get-EXOMailbox": 1.0})
    assert call(b, "Get-EXOMailbox", destructive=False) == "transient"
    assert call(b, "Get-Mailbox", destructive=False) is None


@pytest.mark.parametrize(
    ("drop", "hang", "expected"), [(0.0, 0.0, "ok"), (1.0, 0.0, "drop"), (0.0, 1.0, "hang")]
)
def test_connection_faults_only_on_command_requests(drop: float, hang: float, expected: str) -> None:
    b, _ = make(dropped_connection_rate=drop, hang_rate=hang)
    faults = KnobFaults(b)
    assert faults.on_request("Command", "shell") == expected
    for action in ("Create", "Receive", "Send", "Signal", "Delete"):
        assert faults.on_request(action, "shell") == "ok"


def test_connection_fault_mix_is_reproducible() -> None:
    def draws() -> list[str]:
        b, _ = make(seed=9, dropped_connection_rate=0.3, hang_rate=0.3)
        return [b.connection_fault() for _ in range(60)]

    first = draws()
    assert first == draws() and {"ok", "drop", "hang"} <= set(first)
