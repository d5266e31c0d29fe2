"""The tenant's simulated clock: fixture start + accumulated advances (+ time scale * real time).

Tests never sleep: they call ``Tenant.advance``. For demos a ``time_scale`` > 0 lets simulated time
run faster than real time from the moment the scale was set (``anchor_real``). The state is a small
JSON document in the store's ``meta`` table so every process sees the same clock.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["ClockState"]


@dataclass
class ClockState:
    start: datetime
    offset_s: float = 0.0
    time_scale: float = 0.0
    #: Real epoch seconds from which ``time_scale`` counts.
    anchor_real: float = 0.0

    def now(self, real_now: float | None = None) -> datetime:
        scaled = 0.0
        if self.time_scale > 0:
            real = time.time() if real_now is None else real_now
            scaled = max(0.0, real - self.anchor_real) * self.time_scale
        return self.start + timedelta(seconds=self.offset_s + scaled)

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the simulated clock only moves forward")
        self.offset_s += delta.total_seconds()

    def set_time_scale(self, scale: float, real_now: float | None = None) -> None:
        """Fold the scaled time so far into the offset, then count anew with ``scale``."""
        real = time.time() if real_now is None else real_now
        self.offset_s = (self.now(real) - self.start).total_seconds()
        self.time_scale = max(0.0, scale)
        self.anchor_real = real

    def dumps(self) -> str:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> ClockState:
        data = json.loads(text)
        start = datetime.fromisoformat(data.pop("start"))
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return cls(start=start, **data)
