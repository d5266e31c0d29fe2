"""Per-run state: the scope chain, ``$Error``, strict mode, try depth and the outer streams."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from orchestrator.sandbox.pwsh.scope import Scope
from orchestrator.sandbox.pwsh.streams import normalise_action
from orchestrator.sandbox.runtime import CommandRuntime, ErrorRecord, PipelineStopped

if TYPE_CHECKING:
    from orchestrator.sandbox.pwsh.engine import CommandResolver

MAX_ERRORS = 256
MAX_CALL_DEPTH = 100


class RunState:
    """What one ``run_script``/``run_command`` owns; never shared between runs."""

    def __init__(
        self, resolver: CommandResolver, now: Callable[[], datetime], runtime: CommandRuntime
    ) -> None:
        self.resolver = resolver
        self.now = now
        self.runtime = runtime
        self.errors: list[Any] = []
        self.global_scope = Scope()
        self.script_scope = Scope(self.global_scope)
        self.strict = False
        self.try_depth = 0
        self.call_depth = 0
        g = self.global_scope
        g.assign("Error", self.errors)
        g.assign("ErrorActionPreference", "Continue")
        g.assign("WarningPreference", "Continue")
        g.assign("VerbosePreference", "SilentlyContinue")
        g.assign("DebugPreference", "SilentlyContinue")
        g.assign("InformationPreference", "SilentlyContinue")
        g.assign("ConfirmPreference", "High")
        g.assign("WhatIfPreference", False)

    def preference(self, scope: Scope, name: str) -> str:
        return normalise_action(scope.lookup(name, "Continue"), variable=name)

    def record_error(self, record: ErrorRecord) -> None:
        """Put ``record`` at the head of ``$Error`` (newest first, bounded like PowerShell's)."""
        if self.errors and self.errors[0] is record:
            return
        self.errors.insert(0, record)
        del self.errors[MAX_ERRORS:]

    def check_stop(self) -> None:
        if self.runtime.stop_event.is_set():
            raise PipelineStopped()
