# ruff: noqa: E501  (table-driven tests: PowerShell texts are kept on one line to compare them exactly)
"""External commands, param() binding, ErrorAction plumbing, stop handling, a template-like script.

A recording fake ``CommandResolver`` stands in for the host: it records the exact
``ParameterToken``/``ArgumentValue`` list and pipeline input each call receives, applies common
parameters like the real binder would, and can write output, warnings and errors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sandbox_streams import CollectingRuntime

from orchestrator.sandbox.pwsh import Engine
from orchestrator.sandbox.runtime import (
    NO_VALUE,
    ArgumentValue,
    CommandRuntime,
    ErrorCategory,
    ErrorRecord,
    ParameterToken,
    PipelineStopped,
    PSObject,
    PSTerminatingError,
    SecureString,
)

NOW = datetime(2024, 3, 5, 14, 30, 15, tzinfo=UTC)
Tokens = Sequence[ParameterToken | ArgumentValue]
_COMMON = {"erroraction", "errorvariable", "warningaction", "warningvariable", "outvariable"}


Runtime = CollectingRuntime


@dataclass
class Call:
    args: list[ParameterToken | ArgumentValue]
    input: list[Any] | None


@dataclass
class FakeCmdlet:
    name: str
    behaviour: Callable[[Tokens, Sequence[Any] | None, CommandRuntime], None] | None = None
    calls: list[Call] = field(default_factory=list)

    def invoke(self, args: Tokens, input_objects: Sequence[Any] | None, runtime: CommandRuntime) -> None:
        self.calls.append(Call(list(args), None if input_objects is None else list(input_objects)))
        common: dict[str, Any] = {}
        items = list(args)
        for i, token in enumerate(items):
            if isinstance(token, ParameterToken) and token.name.lower() in _COMMON:
                value = token.value
                if value is NO_VALUE and i + 1 < len(items):
                    nxt = items[i + 1]
                    value = nxt.value if isinstance(nxt, ArgumentValue) else None
                common[token.name] = value
        runtime.apply_common_parameters(common)
        if self.behaviour is not None:
            self.behaviour(args, input_objects, runtime)


class Resolver:
    def __init__(self, *cmdlets: FakeCmdlet) -> None:
        self.cmdlets = {c.name.lower(): c for c in cmdlets}

    def resolve(self, name: str) -> FakeCmdlet | None:
        return self.cmdlets.get(name.lower())


def mailbox(name: str, **props: Any) -> PSObject:
    return PSObject(
        {"Name": name, **props}, ["Microsoft.Exchange.Data.Directory.Management.Mailbox"], adapted=True
    )


def not_found(identity: str) -> ErrorRecord:
    return ErrorRecord(
        f"The operation couldn't be performed because object '{identity}' couldn't be found.",
        "ManagementObjectNotFoundException,Get-Mailbox",
        ErrorCategory.ObjectNotFound,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        target_object=identity,
        activity="Get-Mailbox",
    )


def make(*cmdlets: FakeCmdlet) -> tuple[Engine, Resolver]:
    resolver = Resolver(*cmdlets)
    return Engine(resolver, now=lambda: NOW), resolver


def run(engine: Engine, script: str, parameters: Sequence[tuple[str | None, Any]] = ()) -> Runtime:
    runtime = Runtime()
    engine.run_script(script, list(parameters), None, runtime)
    return runtime


# ------------------------------------------------------------------------ argument passing
def test_exact_tokens_passed_to_external_command() -> None:
    cmd = FakeCmdlet("Set-Mailbox")
    engine, _ = make(cmd)
    run(
        engine,
        "$id = 'user@contoso.com'\n"
        "Set-Mailbox -Identity $id -LitigationHoldEnabled $false -Confirm:$false -Force "
        "user2@contoso.com 'a','b' -Names A,B -Count 5 -Days:(1 + 1)",
    )
    [call] = cmd.calls
    assert call.input is None
    assert call.args == [
        ParameterToken("Identity", NO_VALUE, "-Identity"),
        ArgumentValue("user@contoso.com"),
        ParameterToken("LitigationHoldEnabled", NO_VALUE, "-LitigationHoldEnabled"),
        ArgumentValue(False),
        ParameterToken("Confirm", False, "-Confirm:"),
        ParameterToken("Force", NO_VALUE, "-Force"),
        ArgumentValue("user2@contoso.com"),
        ArgumentValue(["a", "b"]),
        ParameterToken("Names", NO_VALUE, "-Names"),
        ArgumentValue(["A", "B"]),
        ParameterToken("Count", NO_VALUE, "-Count"),
        ArgumentValue(5),
        ParameterToken("Days", 2, "-Days:"),
    ]


def test_splatting_passes_colon_form_tokens_in_order() -> None:
    cmd = FakeCmdlet("Set-Mailbox")
    engine, _ = make(cmd)
    run(
        engine,
        "$p = [ordered]@{ Identity = 'u1'; Confirm = $false }; $a = @('pos'); Set-Mailbox @p @a -WhatIf",
    )
    assert cmd.calls[0].args == [
        ParameterToken("Identity", "u1", "-Identity:"),
        ParameterToken("Confirm", False, "-Confirm:"),
        ArgumentValue("pos"),
        ParameterToken("WhatIf", NO_VALUE, "-WhatIf"),
    ]


def test_pipeline_into_external_command_unrolls_upstream() -> None:
    cmd = FakeCmdlet(
        "Get-MailboxStatistics", lambda a, i, rt: rt.write_output([f"stats:{x}" for x in i or []])
    )
    engine, _ = make(cmd)
    runtime = run(
        engine, "$ids = 'a', 'b'; $ids, 'c' | Get-MailboxStatistics | ForEach-Object { $_.ToUpper() }"
    )
    assert cmd.calls[0].input == [["a", "b"], "c"]
    cmd.calls.clear()
    runtime = run(engine, "'a', 'b' | Get-MailboxStatistics | ForEach-Object { $_.ToUpper() }")
    assert cmd.calls[0].input == ["a", "b"]
    assert runtime.output == ["STATS:A", "STATS:B"]
    cmd.calls.clear()
    run(engine, "@() | Get-MailboxStatistics")
    assert cmd.calls[0].input == []


def test_external_output_and_command_resolution_order() -> None:
    get = FakeCmdlet("Get-Mailbox", lambda a, i, rt: rt.write_output([mailbox("A"), mailbox("B")]))
    engine, _ = make(get, FakeCmdlet("Write-Output"))
    runtime = run(engine, "$m = Get-Mailbox; $m.Count; $m.Name; Write-Output 'builtin wins'")
    assert runtime.output == [2, "A", "B", "builtin wins"]
    get.calls.clear()
    runtime = run(engine, "function Get-Mailbox { 'function wins' }; Get-Mailbox")
    assert runtime.output == ["function wins"]
    assert get.calls == []
    runtime = run(engine, "& 'Get-Mailbox' | Select-Object -First 1 -ExpandProperty Name")
    assert runtime.output == ["A"]


# -------------------------------------------------------------------------- error actions
def failing(identity: str = "ghost") -> FakeCmdlet:
    def behaviour(args: Tokens, input_objects: Sequence[Any] | None, rt: CommandRuntime) -> None:
        rt.write_error(not_found(identity))
        rt.write_output("partial")

    return FakeCmdlet("Get-Mailbox", behaviour)


def test_non_terminating_error_continue_by_default() -> None:
    engine, _ = make(failing())
    runtime = run(engine, "Get-Mailbox ghost; 'after'")
    assert runtime.output == ["partial", "after"]
    assert [e.fq_error_id for e in runtime.errors] == ["ManagementObjectNotFoundException,Get-Mailbox"]


def test_error_action_stop_becomes_catchable_terminating_error_with_same_record() -> None:
    engine, _ = make(failing())
    runtime = run(
        engine,
        "try { Get-Mailbox ghost -ErrorAction Stop; 'not here' } "
        "catch { $_.FullyQualifiedErrorId; $_.CategoryInfo.Category; $_.Exception.Message; $_.TargetObject; "
        "$_.CategoryInfo.Reason; $_.InvocationInfo.MyCommand.Name }",
    )
    assert runtime.output == [
        "ManagementObjectNotFoundException,Get-Mailbox",
        "ObjectNotFound",
        "The operation couldn't be performed because object 'ghost' couldn't be found.",
        "ghost",
        "ManagementObjectNotFoundException",
        "Get-Mailbox",
    ]
    assert runtime.errors == []


def test_error_action_preference_stop_applies_to_external_commands() -> None:
    engine, _ = make(failing())
    with pytest.raises(PSTerminatingError) as info:
        run(engine, "$ErrorActionPreference = 'Stop'; Get-Mailbox ghost; 'never'")
    assert info.value.record == not_found("ghost")
    runtime = run(
        engine, "$ErrorActionPreference = 'Stop'; Get-Mailbox ghost -ErrorAction SilentlyContinue; 'ok'"
    )
    assert runtime.output == ["partial", "ok"] and runtime.errors == []


def test_error_variable_and_silently_continue() -> None:
    engine, _ = make(failing())
    runtime = run(
        engine,
        "Get-Mailbox ghost -ErrorAction SilentlyContinue -ErrorVariable ev | Out-Null\n"
        "Get-Mailbox ghost -ErrorAction SilentlyContinue -ErrorVariable +ev | Out-Null\n"
        "$ev.Count; $ev[0].CategoryInfo.Category; $Error.Count\n"
        "Get-Mailbox ghost -ErrorAction Ignore -ErrorVariable quiet | Out-Null; $quiet.Count; $Error.Count",
    )
    assert runtime.output == [2, "ObjectNotFound", 2, 0, 2]
    assert runtime.errors == []


def test_terminating_error_from_external_command_ends_statement_only() -> None:
    def binding_failure(args: Tokens, input_objects: Sequence[Any] | None, rt: CommandRuntime) -> None:
        raise PSTerminatingError(
            ErrorRecord(
                "A parameter cannot be found that matches parameter name 'Bogus'.",
                "NamedParameterNotFound,Get-Mailbox",
                ErrorCategory.InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
            )
        )

    engine, _ = make(FakeCmdlet("Get-Mailbox", binding_failure))
    runtime = run(engine, "Get-Mailbox -Bogus 1; 'next'")
    assert runtime.output == ["next"]
    assert [e.fq_error_id for e in runtime.errors] == ["NamedParameterNotFound,Get-Mailbox"]
    runtime = run(
        engine,
        "try { Get-Mailbox -Bogus 1 } catch [System.Management.Automation.ParameterBindingException] { 'caught' }",
    )
    assert runtime.output == ["caught"]


def test_warning_action_on_external_command() -> None:
    engine, _ = make(FakeCmdlet("Set-Mailbox", lambda a, i, rt: rt.write_warning("no change")))
    assert run(engine, "Set-Mailbox x").warnings == ["no change"]
    assert run(engine, "Set-Mailbox x -WarningAction SilentlyContinue").warnings == []


def test_run_command_uses_psrp_parameters() -> None:
    cmd = FakeCmdlet("Get-Mailbox", lambda a, i, rt: rt.write_output("ok"))
    engine, _ = make(cmd)
    runtime = Runtime()
    engine.run_command(
        "get-mailbox", [("Identity", "x"), ("ResultSize", None), (None, "pos")], ["in"], runtime
    )
    assert cmd.calls[0].args == [
        ParameterToken("Identity", "x", "-Identity"),
        ParameterToken("ResultSize", None, "-ResultSize"),
        ArgumentValue("pos"),
    ]
    assert cmd.calls[0].input == ["in"]
    assert runtime.output == ["ok"]
    runtime = Runtime()
    engine.run_command("Get-Date", [("Date", "2024-01-01")], None, runtime)
    assert runtime.output[0].year == 2024
    with pytest.raises(PSTerminatingError) as info:
        engine.run_command("Get-Nothing", [], None, Runtime())
    assert info.value.record.fq_error_id == "CommandNotFoundException"


# ------------------------------------------------------------------------- param() binding
PARAM_SCRIPT = """
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [ValidateNotNullOrEmpty()]
    [string] $Identity,
    [string[]] $Names,
    [int] $Count = 3,
    [bool] $Enabled = $true,
    [switch] $Force,
    [ValidateSet('Inventory', 'Purge')]
    [string] $Mode = 'Inventory',
    [ValidateRange(1, 10)]
    [int] $Days = 1,
    [datetime] $Since,
    [guid] $Id,
    [securestring] $Secret,
    [AllowEmptyString()]
    [string] $Note
)
$Identity; $Names.Count; $Count; $Enabled; $Force.IsPresent; $Mode; $Days; $Since; $Id; $Note
"""


def test_param_block_binds_and_converts_psrp_parameters() -> None:
    engine, _ = make()
    runtime = run(
        engine,
        PARAM_SCRIPT,
        [
            ("Identity", "user@contoso.com"),
            ("Names", "solo"),
            ("Count", "12"),
            ("Enabled", False),
            ("Force", True),
            ("Mode", "purge"),
            ("Since", "2024-01-15T00:00:00Z"),
            ("Id", "d9a3f4c2-1b2c-4d5e-8f90-a1b2c3d4e5f6"),
        ],
    )
    out = runtime.output
    assert out[:7] == ["user@contoso.com", 1, 12, False, True, "purge", 1]
    assert out[7] == datetime(2024, 1, 15, tzinfo=UTC)
    assert str(out[8]) == "d9a3f4c2-1b2c-4d5e-8f90-a1b2c3d4e5f6"
    assert out[9] == ""


def test_param_defaults_and_positional() -> None:
    engine, _ = make()
    runtime = run(engine, PARAM_SCRIPT, [(None, "pos-identity")])
    assert runtime.output[:7] == ["pos-identity", 0, 3, True, False, "Inventory", 1]


HOSTILE = [
    "'; Remove-Mailbox -Identity * -Confirm:$false; '",
    "\u2019; Remove-Mailbox x; \u2018",
    '"$(Remove-Mailbox x)"',
    "`$x `n $(1) @{} ${env:PATH}",
    "x' -and 1 -eq 1 -and 'y",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_string_values_arrive_unchanged(value: str) -> None:
    cmd = FakeCmdlet("Get-Mailbox")
    engine, _ = make(cmd)
    runtime = run(
        engine,
        'param([string]$Identity, [string[]]$Names) $Identity; "[$Identity]"; Get-Mailbox -Identity $Identity; $Names',
        [("Identity", value), ("Names", [value, value])],
    )
    assert runtime.output == [value, f"[{value}]", value, value]
    assert cmd.calls[0].args[1] == ArgumentValue(value)


@pytest.mark.parametrize(
    ("parameters", "fq_id", "message"),
    [
        (
            [("Bogus", 1), ("Identity", "x")],
            "NamedParameterNotFound",
            "A parameter cannot be found that matches parameter name 'Bogus'.",
        ),
        (
            [],
            "MissingMandatoryParameter",
            "Cannot process command because of one or more missing mandatory parameters: Identity.",
        ),
        (
            [("Identity", "")],
            "ParameterArgumentValidationErrorEmptyStringNotAllowed",
            "Cannot bind argument to parameter 'Identity' because it is an empty string.",
        ),
        (
            [("Identity", None)],
            "ParameterArgumentValidationErrorEmptyStringNotAllowed",
            "Cannot bind argument to parameter 'Identity' because it is an empty string.",
        ),
        (
            [("Identity", "x"), ("Count", "abc")],
            "ParameterArgumentTransformationError",
            "Cannot process argument transformation on parameter 'Count'. Cannot convert value \"abc\" to type "
            '"System.Int32". Error: "Input string was not in a correct format."',
        ),
        (
            [("Identity", "x"), ("Enabled", "false")],
            "ParameterArgumentTransformationError",
            "Cannot process argument transformation on parameter 'Enabled'. Cannot convert value \"System.String\" "
            'to type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, '
            "$False, 1 or 0.",
        ),
        (
            [("Identity", "x"), ("Mode", "Delete")],
            "ParameterArgumentValidationError",
            "Cannot validate argument on parameter 'Mode'. The argument \"Delete\" does not belong to the set "
            '"Inventory,Purge" specified by the ValidateSet attribute. Supply an argument that is in the set and '
            "then try the command again.",
        ),
        (
            [("Identity", "x"), ("Days", 0)],
            "ParameterArgumentValidationError",
            "Cannot validate argument on parameter 'Days'. The 0 argument is less than the minimum allowed range of "
            "1. Supply an argument that is greater than or equal to 1 and then try the command again.",
        ),
        (
            [("Identity", "x"), ("Days", 11)],
            "ParameterArgumentValidationError",
            "Cannot validate argument on parameter 'Days'. The 11 argument is greater than the maximum allowed range "
            "of 10. Supply an argument that is less than or equal to 10 and then try the command again.",
        ),
        (
            [("Identity", "x"), ("Secret", "plain")],
            "ParameterArgumentTransformationError",
            "Cannot process argument transformation on parameter 'Secret'. Cannot convert the \"plain\" value of "
            'type "System.String" to type "System.Security.SecureString".',
        ),
        (
            [("Identity", "x"), ("N", "a")],
            "AmbiguousParameter",
            "Parameter cannot be processed because the parameter name 'N' is ambiguous. Possible matches include: "
            "-Names -Note.",
        ),
    ],
)
def test_param_binding_errors(parameters: list[tuple[str | None, Any]], fq_id: str, message: str) -> None:
    engine, _ = make()
    with pytest.raises(PSTerminatingError) as info:
        run(engine, PARAM_SCRIPT, parameters)
    assert (info.value.record.fq_error_id, info.value.record.message) == (fq_id, message)


def test_binding_exception_types() -> None:
    engine, _ = make()
    with pytest.raises(PSTerminatingError) as info:
        run(engine, PARAM_SCRIPT, [("Bogus", 1)])
    record = info.value.record
    assert record.exception_type == "System.Management.Automation.ParameterBindingException"
    assert record.category == ErrorCategory.InvalidArgument


def test_securestring_parameter_accepts_secure_string() -> None:
    engine, _ = make()
    runtime = run(engine, "param([securestring]$S) $S", [("S", SecureString("pw"))])
    assert runtime.output == [SecureString("pw")]


def test_extra_positional_argument_for_advanced_script() -> None:
    engine, _ = make()
    with pytest.raises(PSTerminatingError) as info:
        run(engine, "param([Parameter()]$a) $a", [(None, 1), (None, "extra")])
    assert (info.value.record.fq_error_id, info.value.record.message) == (
        "PositionalParameterNotFound",
        "A positional parameter cannot be found that accepts argument 'extra'.",
    )


def test_simple_script_puts_unknown_parameters_in_args() -> None:
    engine, _ = make()
    assert run(engine, "param($a) $a; $args.Count", [("a", 1), (None, 2), (None, 3)]).output == [1, 2]
    with pytest.raises(PSTerminatingError):
        run(engine, "param([Parameter()]$a) $a", [("b", 1)])


def test_function_binding_errors_carry_command_name() -> None:
    engine, _ = make()
    runtime = run(engine, "function Get-X { [CmdletBinding()] param([int]$N) $N }; Get-X -Nope 1; Get-X -N 2")
    assert runtime.output == [2]
    assert runtime.errors[0].fq_error_id == "NamedParameterNotFound,Get-X"


# ---------------------------------------------------------------------- stop and threading
def test_stop_event_interrupts_sleep_and_loops() -> None:
    engine, _ = make()
    runtime = Runtime()
    timer = threading.Timer(0.05, runtime.stop_event.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(PipelineStopped):
        engine.run_script("Start-Sleep -Seconds 30", [], None, runtime)
    assert time.monotonic() - started < 5
    runtime = Runtime()
    threading.Timer(0.05, runtime.stop_event.set).start()
    with pytest.raises(PipelineStopped):
        engine.run_script("while ($true) { $x = 1 }", [], None, runtime)


def test_engine_is_shared_safely_between_threads() -> None:
    engine, _ = make(FakeCmdlet("Get-Mailbox", lambda a, i, rt: rt.write_output(a[-1].value if a else None)))
    script = "param([int]$N) $total = 0; foreach ($i in 1..$N) { $total += $i }; $total; Get-Mailbox $N"
    results: dict[int, list[Any]] = {}

    def work(n: int) -> None:
        runtime = Runtime()
        engine.run_script(script, [("N", n)], None, runtime)
        results[n] = runtime.output

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {n: [n * (n + 1) // 2, n] for n in range(1, 21)}


# ----------------------------------------------------------------- a realistic template script
TEMPLATE = r"""
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string[]] $Identity,
    [int] $StaleDays = 30
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function ConvertTo-IsoDate {
    param($Value)
    if ($null -eq $Value) { return $null }
    return ([datetime]$Value).ToUniversalTime().ToString('o')
}

$now = (Get-Date).ToUniversalTime()
$results = @()
foreach ($id in $Identity) {
    try {
        $m = Get-Mailbox -Identity $id -ErrorAction Stop
    } catch {
        $results += [pscustomobject]@{
            Identity = $id
            Found    = $false
            Error    = $_.FullyQualifiedErrorId
        }
        continue
    }
    $holds = [string[]]@($m.InPlaceHolds)
    $results += [pscustomobject]@{
        Identity      = $id
        Found         = $true
        Name          = $m.Name
        HoldCount     = $holds.Count
        Holds         = $holds
        OnHold        = if ($m.LitigationHoldEnabled -or $holds.Count -gt 0) { $true } else { $false }
        Created       = ConvertTo-IsoDate $m.WhenCreated
        Stale         = ($now - $m.WhenChanged).TotalDays -gt $StaleDays
        Kind          = switch ($m.RecipientTypeDetails) { 'SharedMailbox' { 'shared' } default { 'user' } }
    }
}
$results | Sort-Object Identity
"""


def test_template_like_script() -> None:
    boxes = {
        "alice": mailbox(
            "Alice",
            InPlaceHolds=["UniH1", "UniH2"],
            LitigationHoldEnabled=False,
            WhenCreated=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
            WhenChanged=datetime(2024, 3, 1, tzinfo=UTC),
            RecipientTypeDetails="UserMailbox",
        ),
        "bob": mailbox(
            "Bob",
            InPlaceHolds=[],
            LitigationHoldEnabled=True,
            WhenCreated=None,
            WhenChanged=datetime(2023, 1, 1, tzinfo=UTC),
            RecipientTypeDetails="SharedMailbox",
        ),
    }

    def get_mailbox(args: Tokens, input_objects: Sequence[Any] | None, rt: CommandRuntime) -> None:
        identity = next(a.value for a in args if isinstance(a, ArgumentValue))
        if identity in boxes:
            rt.write_output(boxes[identity])
        else:
            rt.write_error(not_found(identity))

    cmd = FakeCmdlet("Get-Mailbox", get_mailbox)
    engine, _ = make(cmd)
    runtime = run(engine, TEMPLATE, [("Identity", ["bob", "ghost", "alice"])])
    assert runtime.errors == []
    alice, bob, ghost = runtime.output
    assert alice.properties == {
        "Identity": "alice",
        "Found": True,
        "Name": "Alice",
        "HoldCount": 2,
        "Holds": ["UniH1", "UniH2"],
        "OnHold": True,
        "Created": "2020-01-02T03:04:05.0000000Z",
        "Stale": False,
        "Kind": "user",
    }
    assert bob.get("Holds") == [] and bob.get("OnHold") is True and bob.get("Created") is None
    assert bob.get("Stale") is True and bob.get("Kind") == "shared"
    assert ghost.properties == {
        "Identity": "ghost",
        "Found": False,
        "Error": "ManagementObjectNotFoundException,Get-Mailbox",
    }
    assert cmd.calls[0].args[:2] == [
        ParameterToken("Identity", NO_VALUE, "-Identity"),
        ArgumentValue("bob"),
    ]


def test_parse_cache_returns_same_tree() -> None:
    engine, _ = make()
    assert engine.parse(TEMPLATE) is engine.parse(TEMPLATE)
