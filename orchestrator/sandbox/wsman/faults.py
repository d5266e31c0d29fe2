"""Fault hooks: make the endpoint misbehave on purpose, so clients' failure paths can be rehearsed.

The endpoint asks its ``EndpointFaults`` once per authenticated WS-Man request, after parsing
the action but before doing anything with it, so a faulted request has no effect on the
simulated tenant. The answer decides what the client sees:

* ``"ok"``: normal processing;
* ``"drop"``: the TCP connection is closed without an answer (``requests`` raises
  ``ConnectionError``: "server died");
* ``"hang"``: no answer at all until the endpoint stops (the client's read timeout fires:
  "server hung").

``ScriptedFaults`` is the concrete helper tests and the tenant fixture drive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["ACTIONS", "EndpointFaults", "FaultDecision", "FaultRule", "ScriptedFaults"]

FaultDecision = Literal["ok", "drop", "hang"]

#: The short action names the endpoint passes to ``on_request`` (the last segment of wsa:Action).
ACTIONS: frozenset[str] = frozenset(
    {"Create", "Delete", "Get", "Command", "Send", "Receive", "Signal", "Connect", "Reconnect", "Disconnect"}
)


class EndpointFaults(Protocol):
    """Consulted once per authenticated request; must be thread-safe and fast."""

    def on_request(self, action: str, shell_id: str | None) -> FaultDecision: ...


@dataclass
class FaultRule:
    """Apply ``decision`` to requests matching ``action`` (``"*"``: any) and ``shell_id`` (None: any).

    ``skip`` matching requests pass untouched first; then ``times`` requests get the fault
    (``None``: every one from then on).
    """

    decision: FaultDecision
    action: str = "*"
    shell_id: str | None = None
    skip: int = 0
    times: int | None = 1

    def _matches(self, action: str, shell_id: str | None) -> bool:
        if self.action not in ("*", action):
            return False
        return self.shell_id is None or (shell_id is not None and self.shell_id.upper() == shell_id.upper())


class ScriptedFaults:
    """A list of ``FaultRule``s, consulted in order; the first matching rule that still fires wins.

    ``history`` records every ``(action, shell_id, decision)`` for assertions.
    """

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = list(rules)
        self.history: list[tuple[str, str | None, FaultDecision]] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def on_request(self, action: str, shell_id: str | None) -> FaultDecision:
        decision: FaultDecision = "ok"
        with self._lock:
            for rule in self._rules:
                if not rule._matches(action, shell_id):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.times is None:
                    decision = rule.decision
                    break
                if rule.times > 0:
                    rule.times -= 1
                    decision = rule.decision
                    break
            self.history.append((action, shell_id, decision))
        return decision
