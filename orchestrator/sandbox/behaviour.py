"""How the simulated service behaves under load: latency, throttling, transient faults, drops.

The fixture's ``knobs`` (``tenant.model.ServiceKnobs``) are data; this module gives them effect, so
the orchestrator's retry, throttling and resume logic can be tested and benchmarked honestly:

* ``latency``: every cmdlet call waits ``cmdlet_latency_ms[cmdlet]`` (or ``default_latency_ms``)
  of *real* time before it runs, outside the tenant lock, interruptible by a pipeline stop.
* ``concurrency_cap``: more cmdlet calls in flight at once than the cap fail with the throttling
  error (EXO answers over-eager clients with budget errors rather than queueing them). A call is
  in flight from ``admit`` (when it reaches the service) to ``release``, its latency included:
  the latency is the service working on it. A refused call gets the budget error at once.
* ``destructive_budget`` per ``destructive_window_s`` (legacy RPS ``PowerShellMaxDestructiveCmdlets``,
  reference section 5): destructive calls beyond it fail with the throttling budget error and a
  suggested backoff equal to the time until the oldest call leaves the window.
* ``transient_fault_rates[cmdlet]``: the probability that a call fails with the REST 500 fault
  (reference section 4, row 14) instead of running. Draws come from one RNG seeded with ``seed``,
  so a single-threaded run is reproducible call for call.
* ``dropped_connection_rate`` / ``hang_rate``: per WS-Man ``Command`` request, the endpoint closes
  the socket without answering, or never answers (``EndpointFaults``).

Budgets and latency run on real (monotonic) time, not the tenant's simulated clock: they model
what the client experiences while it runs, which is what backoff and benchmarks measure.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable
from typing import Literal

from orchestrator.sandbox.runtime import ErrorRecord
from orchestrator.sandbox.tenant.model import ServiceKnobs

KnobsSource = Callable[[], ServiceKnobs]


class ServiceBehaviour:
    """Decides, per cmdlet call, whether the service delays, throttles or faults it."""

    def __init__(self, knobs: KnobsSource, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._knobs = knobs
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._destructive: collections.deque[float] = collections.deque()
        self._rng: random.Random | None = None
        self._seed: int | None = None

    def _random(self, knobs: ServiceKnobs) -> random.Random:
        if self._rng is None or self._seed != knobs.seed:
            self._rng = random.Random(knobs.seed)
            self._seed = knobs.seed
        return self._rng

    def latency_s(self, cmdlet: str) -> float:
        """How long the service works on a call of ``cmdlet`` (waited after ``admit``)."""
        knobs = self._knobs()
        for name, ms in knobs.cmdlet_latency_ms.items():
            if name.lower() == cmdlet.lower():
                return ms / 1000
        return knobs.default_latency_ms / 1000

    def admit(
        self,
        cmdlet: str,
        *,
        destructive: bool,
        throttled: Callable[[int], ErrorRecord],
        transient: Callable[[], ErrorRecord],
    ) -> ErrorRecord | None:
        """A call reaches the service: ``None`` when it may proceed (it then holds a concurrency
        slot until ``release``, latency included), or the error that replaces it."""
        knobs = self._knobs()
        with self._lock:
            if knobs.concurrency_cap is not None and self._in_flight >= knobs.concurrency_cap:
                return throttled(1000)
            if destructive and knobs.destructive_budget is not None:
                now = self._clock()
                window = float(knobs.destructive_window_s)
                while self._destructive and now - self._destructive[0] >= window:
                    self._destructive.popleft()
                if len(self._destructive) >= knobs.destructive_budget:
                    wait_ms = int((window - (now - self._destructive[0])) * 1000) + 1
                    return throttled(max(wait_ms, 1))
                self._destructive.append(now)
            rate = next(
                (r for n, r in knobs.transient_fault_rates.items() if n.lower() == cmdlet.lower()), 0.0
            )
            if rate > 0 and self._random(knobs).random() < rate:
                return transient()
            self._in_flight += 1
        return None

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def connection_fault(self) -> Literal["ok", "drop", "hang"]:
        """For the endpoint: drop or hang this ``Command`` request, per the knobs."""
        knobs = self._knobs()
        if knobs.dropped_connection_rate <= 0 and knobs.hang_rate <= 0:
            return "ok"
        with self._lock:
            draw = self._random(knobs).random()
        if draw < knobs.dropped_connection_rate:
            return "drop"
        if draw < knobs.dropped_connection_rate + knobs.hang_rate:
            return "hang"
        return "ok"


class KnobFaults:
    """``EndpointFaults`` driven by the tenant's knobs: faults only pipeline ``Command`` requests
    (a hung ``Receive`` would make pypsrp retry for minutes; a hung ``Command`` shows the same
    failure to the client at once)."""

    def __init__(self, behaviour: ServiceBehaviour) -> None:
        self._behaviour = behaviour

    def on_request(self, action: str, shell_id: str | None) -> Literal["ok", "drop", "hang"]:
        if action != "Command":
            return "ok"
        return self._behaviour.connection_fault()
