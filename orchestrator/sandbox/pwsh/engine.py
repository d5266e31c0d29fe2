"""The evaluator's public face: ``Engine`` runs script text or a single command for the host.

One ``Engine`` serves a whole runspace pool: parsed scripts are cached by their text (templates
render the same text thousands of times) and every run builds its own scopes and state, so runs
on several threads never share mutable state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.pwsh.interpreter import BreakSignal, ExitSignal, Interpreter
from orchestrator.sandbox.pwsh.parser import parse
from orchestrator.sandbox.pwsh.state import RunState
from orchestrator.sandbox.runtime import (
    ArgumentValue,
    CommandRuntime,
    ParameterToken,
    PSTerminatingError,
)

CACHE_SIZE = 512


class ExternalCommand(Protocol):
    """A command the host provides (a simulated cmdlet)."""

    name: str

    def invoke(
        self,
        args: Sequence[ParameterToken | ArgumentValue],
        input_objects: Sequence[Any] | None,
        runtime: CommandRuntime,
    ) -> None:
        """Bind ``args`` (raw, in source order), run once or per input object, write to ``runtime``.

        ``input_objects`` is None when the command is not downstream of anything, else the list
        of upstream objects. Call ``runtime.apply_common_parameters(bound)`` after binding.
        """
        ...


class CommandResolver(Protocol):
    def resolve(self, name: str) -> ExternalCommand | None:
        """The command called ``name`` (any case, aliases included), or None if there is none."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def psrp_tokens(parameters: Sequence[tuple[str | None, Any]]) -> list[ParameterToken | ArgumentValue]:
    """PSRP parameters as command tokens: named ones always carry their value (colon form)."""
    tokens: list[ParameterToken | ArgumentValue] = []
    for name, value in parameters:
        if name is None:
            tokens.append(ArgumentValue(value))
        else:
            clean = name.lstrip("-")
            tokens.append(ParameterToken(clean, value, f"-{clean}"))
    return tokens


class Engine:
    """Parse (cached) and run PowerShell of the documented subset against a command resolver."""

    def __init__(self, resolver: CommandResolver, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._resolver = resolver
        self._now = now
        self._cache: OrderedDict[str, ast.ScriptBlock | PSTerminatingError] = OrderedDict()
        self._lock = threading.Lock()

    def parse(self, text: str) -> ast.ScriptBlock:
        """The syntax tree of ``text``; parse errors are cached too and re-raised as new errors."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
        if cached is None:
            try:
                cached = parse(text)
            except PSTerminatingError as error:
                cached = error
            with self._lock:
                self._cache[text] = cached
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        if isinstance(cached, PSTerminatingError):
            raise type(cached)(cached.record)
        return cached

    def run_script(
        self,
        text: str,
        parameters: Sequence[tuple[str | None, Any]],
        input_objects: Sequence[Any] | None,
        runtime: CommandRuntime,
    ) -> None:
        """Run a script: bind ``parameters`` to its param() block, output to ``runtime``.

        Raises ``PSTerminatingError`` for an uncaught terminating error (parse and binding
        errors included) and ``PipelineStopped`` when ``runtime.stop_event`` is set.
        """
        block = self.parse(text)
        state = RunState(self._resolver, self._now, runtime)
        interp = Interpreter(state)
        state.check_stop()
        try:
            interp.invoke_block(
                block,
                "",
                state.script_scope,
                psrp_tokens(parameters),
                list(input_objects) if input_objects is not None else None,
                runtime.write_output,
            )
        except (ExitSignal, BreakSignal):
            return

    def run_command(
        self,
        name: str,
        parameters: Sequence[tuple[str | None, Any]],
        input_objects: Sequence[Any] | None,
        runtime: CommandRuntime,
    ) -> None:
        """Run one command by name (PSRP ``add_cmdlet``): built-in or the resolver's."""
        state = RunState(self._resolver, self._now, runtime)
        interp = Interpreter(state)
        state.check_stop()
        interp.invoke_named(
            name,
            state.script_scope,
            psrp_tokens(parameters),
            list(input_objects) if input_objects is not None else None,
            runtime.write_output,
        )
