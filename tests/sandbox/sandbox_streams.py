"""A ``CommandRuntime`` for tests that call evaluator commands or simulated cmdlets directly."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.sandbox.runtime import ErrorRecord


@dataclass
class CollectingRuntime:
    """Keeps what a command writes; ``error`` is the single error record it wrote."""

    output: list[Any] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def write_output(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, record: ErrorRecord) -> None:
        self.errors.append(record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def apply_common_parameters(self, bound: Mapping[str, Any]) -> None:
        pass

    @property
    def error(self) -> ErrorRecord:
        assert len(self.errors) == 1, self.errors
        return self.errors[0]

    def text(self) -> str:
        """The single error's message without the ``<code>|<type>|`` prefix of the EXO V3 form."""
        return self.error.message.split("|", 2)[-1]
