"""The per-command stream object: output forwarding and the ErrorAction/WarningAction logic.

Every command the evaluator runs (simulated cmdlet or built-in) gets its own ``CommandStreams``.
The host tells it the command's bound common parameters (``apply_common_parameters``); errors the
command writes are then handled as PowerShell's ``MshCommandRuntime.WriteError`` does:

* ``Continue`` (default): recorded in ``$Error`` / ``-ErrorVariable`` and written to the error stream;
* ``SilentlyContinue``: recorded only; ``Ignore``: no trace at all;
* ``Stop``: recorded, then raised as a script-terminating error carrying the same record (in a
  ``catch`` block ``$_`` is that record).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from orchestrator.sandbox.pwsh.conversions import to_string
from orchestrator.sandbox.pwsh.errors import ScriptTerminatingError, runtime_error, unsupported_runtime
from orchestrator.sandbox.runtime import ErrorCategory, ErrorRecord

if TYPE_CHECKING:
    from orchestrator.sandbox.pwsh.scope import Scope
    from orchestrator.sandbox.pwsh.state import RunState

#: ``System.Management.Automation.ActionPreference`` by number (for values that arrive as enums)
_ACTION_NUMBERS = {
    0: "SilentlyContinue",
    1: "Stop",
    2: "Continue",
    3: "Inquire",
    4: "Ignore",
    5: "Suspend",
    6: "Break",
}
_ACTIONS = {"silentlycontinue", "stop", "continue", "inquire", "ignore", "suspend", "break"}


def normalise_action(value: Any, *, variable: str = "ErrorActionPreference") -> str:
    """An ActionPreference name from a string, enum number or name; unsupported ones refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = _ACTION_NUMBERS.get(value, "")
    else:
        text = to_string(value).strip()
    lowered = text.lower()
    if lowered not in _ACTIONS:
        raise runtime_error(
            "RuntimeException",
            f'Cannot convert value "{text}" to type "System.Management.Automation.ActionPreference". Error: '
            f'"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the '
            "following enumerator names and try again:\nBreak, Suspend, Ignore, Inquire, Continue, Stop, "
            'SilentlyContinue"',
            category=ErrorCategory.InvalidArgument,
        )
    if lowered in ("inquire", "break"):
        raise unsupported_runtime(f"the {text} action preference ({variable})")
    if lowered == "suspend":
        raise runtime_error(
            "ParameterBindingFailed",
            "The value Suspend is not supported for an ActionPreference variable. The provided value should "
            "be used only as a value for a preference parameter, and has been replaced by the default value.",
        )
    return {
        "silentlycontinue": "SilentlyContinue",
        "stop": "Stop",
        "continue": "Continue",
        "ignore": "Ignore",
    }[lowered]


class CommandStreams:
    """``runtime.CommandRuntime`` for one command invocation inside the evaluator."""

    def __init__(self, state: RunState, scope: Scope, emit: Callable[[Any], None], command: str) -> None:
        self._state = state
        self._scope = scope
        self._emit = emit
        self.command = command
        self.error_action: str | None = None
        self.warning_action: str | None = None
        self._error_var: list[Any] | None = None
        self._warning_var: list[Any] | None = None
        self._out_var: list[Any] | None = None

    # ----------------------------------------------------------------- CommandRuntime
    @property
    def stop_event(self) -> threading.Event:
        return self._state.runtime.stop_event

    def write_output(self, value: Any) -> None:
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if self._out_var is not None:
                self._out_var.append(item)
            self._emit(item)

    def write_error(self, record: ErrorRecord) -> None:
        action = self.error_action or self._state.preference(self._scope, "ErrorActionPreference")
        if action == "Ignore":
            return
        if self._error_var is not None:
            self._error_var.append(record)
        self._state.record_error(record)
        if action == "Stop":
            raise ScriptTerminatingError(record)
        if action == "Continue":
            self._state.runtime.write_error(record)

    def write_warning(self, message: str) -> None:
        action = self.warning_action or self._state.preference(self._scope, "WarningPreference")
        if action == "Ignore":
            return
        if self._warning_var is not None:
            self._warning_var.append(message)
        if action == "Stop":
            raise ScriptTerminatingError(
                ErrorRecord(
                    message='The running command stopped because the preference variable "WarningPreference" '
                    f"or common parameter is set to Stop: {message}",
                    fq_error_id="ActionPreferenceStop",
                    category=ErrorCategory.OperationStopped,
                    exception_type="System.Management.Automation.ActionPreferenceStopException",
                    activity=self.command,
                )
            )
        if action == "Continue":
            self._state.runtime.write_warning(message)

    def apply_common_parameters(self, bound: Mapping[str, Any]) -> None:
        for key, value in bound.items():
            lowered = key.lower()
            if lowered == "erroraction":
                self.error_action = normalise_action(value)
            elif lowered == "warningaction":
                self.warning_action = normalise_action(value, variable="WarningPreference")
            elif lowered == "errorvariable":
                self._error_var = self._variable_list(value)
            elif lowered == "warningvariable":
                self._warning_var = self._variable_list(value)
            elif lowered == "outvariable":
                self._out_var = self._variable_list(value)

    # ------------------------------------------------------------------------ helpers
    def _variable_list(self, spec: Any) -> list[Any]:
        """``-ErrorVariable ev`` starts a fresh list; ``+ev`` appends to the existing one."""
        name = to_string(spec)
        append = name.startswith("+")
        if append:
            name = name[1:]
        if name.startswith("$"):
            raise runtime_error(
                "InvalidVariableName",
                f"The variable name '{name}' is not valid; give the name without '$'.",
                category=ErrorCategory.InvalidArgument,
            )
        target: list[Any] = []
        if append:
            existing = self._scope.lookup(name)
            if isinstance(existing, list):
                target = existing
            elif existing is not None:
                target = [existing]
        self._scope.assign(name, target)
        return target
