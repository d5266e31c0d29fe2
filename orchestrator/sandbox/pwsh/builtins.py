"""The evaluator's own commands (resolved after script functions, before the host's cmdlets).

Each built-in binds its arguments strictly (an unknown parameter is
``NamedParameterNotFound,<Command>``) and writes through a ``CommandStreams``, so ``-ErrorAction``
and ``$ErrorActionPreference`` apply to its errors exactly as to a simulated cmdlet's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from orchestrator.sandbox.pwsh.binder import ParamSpec, Token
from orchestrator.sandbox.pwsh.builtins_pipeline import (
    bind,
    foreach_object,
    group_object,
    measure_object,
    select_object,
    sort_object,
    where_object,
)
from orchestrator.sandbox.pwsh.conversions import convert, to_datetime, to_string
from orchestrator.sandbox.pwsh.errors import (
    binding_error,
    command_not_found,
    runtime_error,
    unsupported_runtime,
)
from orchestrator.sandbox.pwsh.formatting import format_datetime
from orchestrator.sandbox.pwsh.scope import Scope
from orchestrator.sandbox.pwsh.streams import CommandStreams
from orchestrator.sandbox.pwsh.values import LOCAL, UTC, CommandInfo
from orchestrator.sandbox.runtime import (
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    PipelineStopped,
    PSObject,
    SecureString,
)

if TYPE_CHECKING:
    from orchestrator.sandbox.pwsh.interpreter import Interpreter

Builtin = Callable[["Interpreter", Scope, list[Token], "list[Any] | None", CommandStreams], None]


def _values(tokens: list[Token], bound: dict[str, Any], key: str) -> list[Any]:
    value = bound.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# ------------------------------------------------------------------------------- Write-*
def write_output(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind(
        "Write-Output",
        [ParamSpec("InputObject", position=0), ParamSpec("NoEnumerate", switch=True)],
        _gather(tokens),
        streams,
    )
    if "InputObject" in bound:
        value = bound["InputObject"]
        if bound.get("NoEnumerate"):
            streams.write_output([value])
        else:
            streams.write_output(value)
        return
    for item in input_objects or []:
        streams.write_output([item] if isinstance(item, list | tuple) else item)


def _gather(tokens: list[Token]) -> list[Token]:
    """Write-Output's InputObject takes the remaining positional arguments as one array."""
    from orchestrator.sandbox.runtime import ArgumentValue

    positional = [t for t in tokens if isinstance(t, ArgumentValue)]
    if len(positional) <= 1:
        return tokens
    others = [t for t in tokens if not isinstance(t, ArgumentValue)]
    return [*others, ArgumentValue([p.value for p in positional])]


def write_warning(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Write-Warning", [ParamSpec("Message", position=0)], tokens, streams)
    messages = [bound["Message"]] if "Message" in bound else list(input_objects or [])
    for message in messages:
        streams.write_warning(to_string(message))


_WRITE_ERROR_SPECS = [
    ParamSpec("Message", position=0, aliases=("Msg",)),
    ParamSpec("ErrorId"),
    ParamSpec("Category"),
    ParamSpec("TargetObject"),
    ParamSpec("ErrorRecord"),
    ParamSpec("Exception"),
    ParamSpec("RecommendedAction"),
    ParamSpec("CategoryActivity", aliases=("Activity",)),
    ParamSpec("CategoryReason", aliases=("Reason",)),
    ParamSpec("CategoryTargetName", aliases=("TargetName",)),
    ParamSpec("CategoryTargetType", aliases=("TargetType",)),
]


def write_error(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Write-Error", _WRITE_ERROR_SPECS, tokens, streams)
    for unsupported in ("Exception", "CategoryReason", "CategoryTargetName", "CategoryTargetType"):
        if unsupported in bound:
            raise unsupported_runtime(f"Write-Error -{unsupported}")
    if "ErrorRecord" in bound:
        record = bound["ErrorRecord"]
        if not isinstance(record, ErrorRecord):
            raise binding_error(
                "ParameterArgumentTransformationError",
                "Cannot process argument transformation on parameter 'ErrorRecord'. Cannot convert the value "
                'to type "System.Management.Automation.ErrorRecord".',
                "Write-Error",
            )
        streams.write_error(record)
        return
    category = ErrorCategory.NotSpecified
    if "Category" in bound:
        raw = to_string(bound["Category"])
        match = next((c for c in ErrorCategory if c.name.lower() == raw.lower()), None)
        if match is None:
            raise binding_error(
                "CannotConvertArgumentNoMessage",
                f"Cannot bind parameter 'Category'. Cannot convert value \"{raw}\" to type "
                '"System.Management.Automation.ErrorCategory". Error: "Unable to match the identifier name '
                f'{raw} to a valid enumerator name."',
                "Write-Error",
            )
        category = match
    messages = [bound["Message"]] if "Message" in bound else list(input_objects or [])
    for message in messages:
        error_id = to_string(bound.get("ErrorId")) or "Microsoft.PowerShell.Commands.WriteErrorException"
        streams.write_error(
            ErrorRecord(
                message=to_string(message),
                fq_error_id=error_id,
                category=category,
                exception_type="Microsoft.PowerShell.Commands.WriteErrorException",
                target_object=bound.get("TargetObject"),
                activity=to_string(bound.get("CategoryActivity")) or "Write-Error",
            )
        )


def _discard(command: str, specs: list[ParamSpec]) -> Builtin:
    """Verbose/Debug/Information/Host output has no PSRP stream in the sandbox: accepted, dropped."""

    def run(
        interp: Interpreter,
        scope: Scope,
        tokens: list[Token],
        input_objects: list[Any] | None,
        streams: CommandStreams,
    ) -> None:
        bind(command, specs, tokens, streams)

    return run


# ------------------------------------------------------------------------------- utilities
def out_null(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bind("Out-Null", [ParamSpec("InputObject")], tokens, streams)


def get_date(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    parts = ("Year", "Month", "Day", "Hour", "Minute", "Second", "Millisecond")
    specs = [
        ParamSpec("Date", position=0),
        ParamSpec("Format"),
        ParamSpec("UFormat"),
        ParamSpec("AsUTC", switch=True),
        *[ParamSpec(n) for n in parts],
    ]
    bound = bind("Get-Date", specs, tokens, streams)
    if "UFormat" in bound:
        raise unsupported_runtime("Get-Date -UFormat")
    value = to_datetime(bound["Date"]) if "Date" in bound else interp.state.now().replace(tzinfo=LOCAL)
    for part in parts:
        if part in bound:
            number = int(convert(bound[part], "System.Int32"))
            if part == "Millisecond":
                value = value.replace(microsecond=number * 1000)
            else:
                value = value.replace(**{part.lower(): number})  # type: ignore[arg-type]
    if bound.get("AsUTC"):
        value = value.replace(tzinfo=UTC)
    if "Format" in bound:
        streams.write_output(format_datetime(value, to_string(bound["Format"])))
        return
    streams.write_output(value)


def new_timespan(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    specs = [ParamSpec("Start", position=0), ParamSpec("End", position=1),
             *[ParamSpec(n) for n in ("Days", "Hours", "Minutes", "Seconds", "Milliseconds")]]  # fmt: skip
    bound = bind("New-TimeSpan", specs, tokens, streams)
    if "Start" in bound or "End" in bound:
        now = interp.state.now().replace(tzinfo=LOCAL)
        start = to_datetime(bound["Start"]) if "Start" in bound else now
        end = to_datetime(bound["End"]) if "End" in bound else now
        streams.write_output(end - start)
        return
    amounts = {
        n.lower(): float(convert(bound[n], "System.Double"))
        for n in ("Days", "Hours", "Minutes", "Seconds", "Milliseconds")
        if n in bound
    }
    streams.write_output(timedelta(**amounts))


def convertto_securestring(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    specs = [
        ParamSpec("String", position=0),
        ParamSpec("AsPlainText", switch=True),
        ParamSpec("Force", switch=True),
        ParamSpec("Key"),
        ParamSpec("SecureKey"),
    ]
    bound = bind("ConvertTo-SecureString", specs, tokens, streams)
    if "Key" in bound or "SecureKey" in bound or not bound.get("AsPlainText"):
        raise unsupported_runtime("ConvertTo-SecureString without -AsPlainText (encrypted standard strings)")
    if not bound.get("Force"):
        raise runtime_error(
            "ImportSecureString_ArgumentException,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
            "The system cannot protect plain text input. To suppress this warning and convert the "
            "plain text to a "
            "SecureString, reissue the command specifying the Force parameter. For more information ,type: "
            "get-help ConvertTo-SecureString.",
            category=ErrorCategory.InvalidArgument,
            exception_type="System.ArgumentException",
        )
    strings = [bound["String"]] if "String" in bound else list(input_objects or [])
    for text in strings:
        if text is None:
            raise binding_error(
                "ParameterArgumentValidationErrorNullNotAllowed",
                "Cannot bind argument to parameter 'String' because it is null.",
                "Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
            )
        streams.write_output(SecureString(to_string(text)))


def start_sleep(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    specs = [
        ParamSpec("Seconds", position=0, aliases=("s",)),
        ParamSpec("Milliseconds", aliases=("ms",)),
        ParamSpec("Duration"),
    ]
    bound = bind("Start-Sleep", specs, tokens, streams)
    if "Duration" in bound:
        raise unsupported_runtime("Start-Sleep -Duration")
    seconds = float(convert(bound.get("Seconds", 0), "System.Double"))
    seconds += float(convert(bound.get("Milliseconds", 0), "System.Double")) / 1000
    if streams.stop_event.wait(max(seconds, 0.0)):
        raise PipelineStopped()


def set_strictmode(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind(
        "Set-StrictMode",
        [ParamSpec("Version", aliases=("v",)), ParamSpec("Off", switch=True)],
        tokens,
        streams,
    )
    if bound.get("Off"):
        interp.state.strict = False
        return
    if "Version" not in bound:
        raise binding_error(
            "AmbiguousParameterSet",
            "Parameter set cannot be resolved using the specified named parameters.",
            "Microsoft.PowerShell.Commands.SetStrictModeCommand",
        )
    version = to_string(bound["Version"]).strip().lower()
    if version not in ("latest", "1", "1.0", "2", "2.0", "3", "3.0"):
        raise unsupported_runtime(f"Set-StrictMode -Version {version}")
    interp.state.strict = True


def new_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    specs = [ParamSpec("TypeName", position=0), ParamSpec("ArgumentList", position=1, aliases=("Args",)),
             ParamSpec("Property"), ParamSpec("ComObject"), ParamSpec("Strict", switch=True)]  # fmt: skip
    bound = bind("New-Object", specs, tokens, streams)
    type_name = to_string(bound.get("TypeName")).lower()
    if (
        type_name not in ("psobject", "system.management.automation.psobject")
        or "ArgumentList" in bound
        or "ComObject" in bound
    ):
        raise unsupported_runtime(f"New-Object {bound.get('TypeName') or bound.get('ComObject')}")
    props = bound.get("Property")
    if props is not None and not isinstance(props, Hashtable):
        raise unsupported_runtime("New-Object -Property with a non-hashtable")
    streams.write_output(PSObject(list(props.items()) if props else []))


def get_command(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    specs = [ParamSpec("Name", position=0), ParamSpec("Module"), ParamSpec("CommandType")]
    bound = bind("Get-Command", specs, tokens, streams)
    if "Module" in bound or "CommandType" in bound or "Name" not in bound:
        raise unsupported_runtime("Get-Command without -Name or with -Module/-CommandType")
    for name in _values(tokens, bound, "Name"):
        text = to_string(name)
        kind = interp.command_exists(text, scope)
        if kind is None:
            record = command_not_found(text).record
            streams.write_error(
                ErrorRecord(
                    record.message,
                    "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand",
                    record.category,
                    record.exception_type,
                    target_object=text,
                    activity="Get-Command",
                )
            )
            continue
        canonical = canonical_builtin(text) or text
        external = (
            interp.state.resolver.resolve(text)
            if kind == "Cmdlet" and canonical_builtin(text) is None
            else None
        )
        streams.write_output(CommandInfo(external.name if external is not None else canonical, kind))


# -------------------------------------------------------------------------------- registry
BUILTINS: dict[str, Builtin] = {
    "Write-Output": write_output,
    "Write-Warning": write_warning,
    "Write-Error": write_error,
    "Write-Verbose": _discard("Write-Verbose", [ParamSpec("Message", position=0)]),
    "Write-Debug": _discard("Write-Debug", [ParamSpec("Message", position=0)]),
    "Write-Information": _discard(
        "Write-Information", [ParamSpec("MessageData", position=0), ParamSpec("Tags", position=1)]
    ),
    "Write-Host": _discard(
        "Write-Host",
        [
            ParamSpec("Object", position=0),
            ParamSpec("NoNewline", switch=True),
            ParamSpec("Separator"),
            ParamSpec("ForegroundColor"),
            ParamSpec("BackgroundColor"),
        ],
    ),
    "Where-Object": where_object,
    "ForEach-Object": foreach_object,
    "Select-Object": select_object,
    "Sort-Object": sort_object,
    "Group-Object": group_object,
    "Measure-Object": measure_object,
    "Get-Date": get_date,
    "New-TimeSpan": new_timespan,
    "ConvertTo-SecureString": convertto_securestring,
    "Out-Null": out_null,
    "Start-Sleep": start_sleep,
    "Set-StrictMode": set_strictmode,
    "New-Object": new_object,
    "Get-Command": get_command,
}
_ALIASES = {
    "%": "ForEach-Object", "foreach": "ForEach-Object", "?": "Where-Object", "where": "Where-Object",
    "select": "Select-Object", "sort": "Sort-Object", "group": "Group-Object", "measure": "Measure-Object",
    "echo": "Write-Output", "write": "Write-Output", "sleep": "Start-Sleep",
}  # fmt: skip
_CANONICAL = {name.lower(): name for name in BUILTINS} | {alias: target for alias, target in _ALIASES.items()}


def canonical_builtin(name: str) -> str | None:
    return _CANONICAL.get(name.lower())
