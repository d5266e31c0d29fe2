# ruff: noqa: E501  (table-driven tests: PowerShell texts are kept on one line to compare them exactly)
"""Syntax: what PowerShell rejects (ParserError), what the subset rejects (NotImplemented), and a
cross-check that the subset is real PowerShell (tree-sitter-powershell parses it cleanly).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from orchestrator.sandbox.pwsh import Engine
from orchestrator.sandbox.pwsh.parser import parse
from orchestrator.sandbox.runtime import ErrorCategory, PSTerminatingError


class NoCommands:
    def resolve(self, name: str) -> None:
        return None


def parse_failure(script: str) -> PSTerminatingError:
    with pytest.raises(PSTerminatingError) as info:
        parse(script)
    return info.value


@pytest.mark.parametrize(
    ("script", "fq_id", "message"),
    [
        (
            "if ($true) { 'x'",
            "MissingEndCurlyBrace",
            "Missing closing '}' in statement block or type definition.",
        ),
        ("'unterminated", "TerminatorExpectedAtEndOfString", "The string is missing the terminator: '."),
        ('"unterminated', "TerminatorExpectedAtEndOfString", 'The string is missing the terminator: ".'),
        ("@'\nno end", "TerminatorExpectedAtEndOfString", "The string is missing the terminator: '@."),
        (
            "@'text\n'@",
            "UnexpectedCharactersAfterHereStringHeader",
            "No characters are allowed after a here-string header but before the end of the line.",
        ),
        ("$x = (1 + 2", "MissingEndParenthesisInExpression", "Missing closing ')' in expression."),
        ("1 2", "UnexpectedToken", "Unexpected token '2' in expression or statement."),
        ("$a -foo $b", "UnexpectedToken", "Unexpected token '-foo' in expression or statement."),
        (
            "'a' | 'b'",
            "ExpressionsMustBeFirstInPipeline",
            "Expressions are only allowed as the first element of a pipeline.",
        ),
        ("Get-Thing |", "EmptyPipeElement", "An empty pipe element is not allowed."),
        ("try { 1 }", "MissingCatchOrFinally", "The Try statement is missing its Catch or Finally block."),
        (
            '"Value $name: here"',
            "InvalidVariableReferenceWithDrive",
            "Variable reference is not valid. ':' was not followed by a valid variable name character. Consider "
            "using ${} to delimit the name.",
        ),
        ("Get-Thing < in.txt", "RedirectionNotSupported", "The '<' operator is reserved for future use."),
        (
            "$x = [ordered]'a'",
            "OrderedAttributeOnlyOnHashLiteralNode",
            "The ordered attribute can be specified only on a hash literal node.",
        ),
        (
            "@{ A = 1 B = 2 }",
            "MissingEndCurlyBrace",
            "Missing closing '}' in statement block or type definition.",
        ),
        (
            "$x = @splat",
            "SplattingNotPermitted",
            "The splatting operator '@' cannot be used to reference variables in an expression. '@splat' can be used "
            "only as an argument to a command. To reference variables in an expression use '$'.",
        ),
    ],
)
def test_parse_errors(script: str, fq_id: str, message: str) -> None:
    error = parse_failure(script)
    assert (error.record.fq_error_id, error.record.message) == (fq_id, message)
    assert error.record.category == ErrorCategory.ParserError
    assert error.record.exception_type == "System.Management.Automation.ParseException"


@pytest.mark.parametrize(
    ("script", "construct", "line"),
    [
        ("class Foo { }", "class definitions", 1),
        ("\nworkflow W { }", "workflows", 2),
        ("using namespace System.IO", "'using' statements", 1),
        ("trap { continue }", "'trap' statements", 1),
        ("$t = [System.IO.File]::ReadAllText('x')", "the type [System.IO.File]", 1),
        ("Invoke-Expression 'Get-Date'", "the command 'Invoke-Expression'", 1),
        ("iex $code", "the command 'iex'", 1),
        ("Add-Type -TypeDefinition $src", "the command 'Add-Type'", 1),
        ("Get-Thing 2>&1", "redirection", 1),
        ("Get-Thing > out.txt", "redirection", 1),
        ("Invoke-Command { $using:x }", "the command 'Invoke-Command'", 1),
        ("$y = $using:x", "the $using: variable scope or drive", 1),
        ("$env:PATH", "the $env: variable scope or drive", 1),
        ("function F { begin { } process { } end { } }", "begin/process/end blocks", 1),
        ("filter F { $_ }", "filters", 1),
        ("Get-A && Get-B", "the pipeline chain operator &&", 1),
        ("Start-Thing &", "the background operator &", 1),
        (". ./other.ps1", "dot-sourcing", 1),
        ("[int]$x = 5", "type-constrained variables", 1),
        ("$a, $b = 1, 2", "multiple assignment", 1),
        ("1 -shl 2", "the -shl operator", 1),
        ("$x = [xml]'<a/>'", "the type [xml]", 1),
        ("[datetime]::FromFileTime(0)", "the static member [System.DateTime]::FromFileTime", 1),
        ("param([Parameter(ValueFromPipeline)]$x) $x", "[Parameter(ValueFromPipeline)]", 1),
        ("param([Alias('a')]$x) $x", "the parameter attribute [Alias]", 1),
        ("$x = $?", "the automatic variable $?", 1),
        ("foreach -parallel ($x in 1) { }", "foreach statement flags (-parallel)", 1),
        ("Get-Thing foo$bar", "the bare-word argument 'foo$bar'", 1),
    ],
)
def test_unsupported_syntax_is_an_error(script: str, construct: str, line: int) -> None:
    error = parse_failure(script)
    assert error.record.fq_error_id == "SandboxUnsupportedSyntax"
    assert error.record.category == ErrorCategory.NotImplemented
    assert error.record.message == f"The sandbox does not implement {construct} (line {line})."


def test_unsupported_syntax_fails_before_anything_runs() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.called = False

        def resolve(self, name: str) -> Any:
            self.called = True
            return None

    resolver = Recorder()
    engine = Engine(resolver)
    with pytest.raises(PSTerminatingError):
        engine.run_script("Get-First\nclass C { }", [], None, None)  # type: ignore[arg-type]
    assert not resolver.called


def test_dynamic_invoke_expression_rejected_at_runtime() -> None:
    class Streams:
        stop_event = threading.Event()
        errors: list[Any] = []

        def write_output(self, value: Any) -> None: ...
        def write_warning(self, message: str) -> None: ...
        def apply_common_parameters(self, bound: Any) -> None: ...
        def write_error(self, record: Any) -> None:
            self.errors.append(record)

    streams = Streams()
    with pytest.raises(PSTerminatingError) as info:
        Engine(NoCommands()).run_script("$c = 'Invoke-Expression'; & $c 'x'", [], None, streams)
    assert info.value.record.fq_error_id == "SandboxUnsupportedSyntax"


# ---------------------------------------------------------------- tree-sitter cross-check
CORPUS = [
    "[CmdletBinding()]\nparam(\n    [Parameter(Mandatory = $true)]\n    [string] $Identity\n)\n$Identity",
    "param([string[]]$Names, [int]$Count = 3, [switch]$Force)\n$Names.Count",
    "$ErrorActionPreference = 'Stop'\n$x = 1; $y = $x + 2",
    "if ($a -eq 1) { 'one' } elseif ($a -gt 1) { 'many' } else { 'none' }",
    "foreach ($m in $mailboxes) { $m.Name }",
    "for ($i = 0; $i -lt 10; $i++) { $i }",
    "while ($i -lt 3) { $i++ }",
    "do { $i++ } until ($i -ge 3)",
    "switch ($kind) {\n    'a' { 1 }\n    default { 2 }\n}",
    "try { Get-Mailbox -Identity $id -ErrorAction Stop } catch [System.Exception] { $_.Exception.Message } finally { 'done' }",
    "throw 'Mailbox not found'",
    "function Get-Thing {\n    param([string]$Name)\n    return $Name.ToUpper()\n}",
    "function Add-Two($a, $b) { $a + $b }",
    "$h = @{ A = 1; B = 'x' }\n$h.C = 3\n$h['D'] = 4",
    "$o = [pscustomobject]@{ Name = $m.Name; OnHold = if ($m.LitigationHoldEnabled) { $true } else { $false } }",
    "$ordered = [ordered]@{ Z = 1; A = 2 }",
    "$holds = [string[]]@($m.InPlaceHolds)",
    "$when = $m.WhenCreated.ToUniversalTime().ToString('o')",
    '$s = "Name: $($m.Name) at $(Get-Date)"',
    "$t = @'\nliteral $text\n'@",
    "Set-Mailbox -Identity $id -LitigationHoldEnabled $false -Confirm:$false",
    "$params = @{ Identity = $id; Confirm = $false }\nSet-Mailbox @params",
    "Get-Mailbox -ResultSize Unlimited | Where-Object { $_.LitigationHoldEnabled } | Select-Object -Property 'Name', @{ N = 'Holds'; E = { $_.InPlaceHolds.Count } }",
    "$items | Sort-Object -Property Name -Descending | Select-Object -First 5",
    "$x = '{0:N0} items' -f $count",
    "$parts = 'a,b' -split ','; $joined = $parts -join ';'",
    "$ok = $name -like 'user*' -and $name -notmatch '^admin'",
    "$list = 1..10 | ForEach-Object { $_ * 2 }",
    "[void]$list.Add(1); $null = Get-Thing",
    "$days = ((Get-Date) - $m.WhenChanged).TotalDays",
    "$g = [guid]::NewGuid().ToString()",
    "if ([string]::IsNullOrWhiteSpace($id)) { throw 'Identity is empty' }",
    "$sec = ConvertTo-SecureString -String $pw -AsPlainText -Force",
    "Write-Error -Message 'bad' -ErrorId 'X' -Category InvalidArgument",
    "$e = $Error[0].CategoryInfo.Category",
]


def _errors(node: Any) -> list[str]:
    found = []
    if node.type == "ERROR" or node.is_missing:
        found.append(f"{node.type}@{node.start_point}")
    for child in node.children:
        found.extend(_errors(child))
    return found


@pytest.mark.parametrize("script", CORPUS)
def test_corpus_is_real_powershell_and_in_the_subset(script: str) -> None:
    tree_sitter = pytest.importorskip("tree_sitter")
    tree_sitter_powershell = pytest.importorskip("tree_sitter_powershell")
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    tree = parser.parse(script.encode("utf-8"))
    assert _errors(tree.root_node) == []
    parse(script)  # and the sandbox accepts it
