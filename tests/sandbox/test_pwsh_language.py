# ruff: noqa: E501  (table-driven tests: PowerShell texts are kept on one line to compare them exactly)
"""The evaluator's language: expressions, operators, conversions, statements, runtime errors.

Expectations are what real PowerShell (5.1 and 7 agree on these) produces; outputs are compared
as the list of objects the script writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sandbox_streams import CollectingRuntime

from orchestrator.sandbox.pwsh import Engine
from orchestrator.sandbox.pwsh.values import datetime_kind
from orchestrator.sandbox.runtime import (
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    PSObject,
    PSTerminatingError,
    SecureString,
)

NOW = datetime(2024, 3, 5, 14, 30, 15, 123456, tzinfo=UTC)


Runtime = CollectingRuntime


class NoCommands:
    def resolve(self, name: str) -> None:
        return None


ENGINE = Engine(NoCommands(), now=lambda: NOW)


def run(script: str, parameters: Sequence[tuple[str | None, Any]] = ()) -> Runtime:
    runtime = Runtime()
    ENGINE.run_script(script, list(parameters), None, runtime)
    return runtime


def out(script: str) -> list[Any]:
    runtime = run(script)
    assert runtime.errors == [], [e.message for e in runtime.errors]
    return runtime.output


def fails(script: str) -> ErrorRecord:
    with pytest.raises(PSTerminatingError) as info:
        run(script)
    return info.value.record


EXPRESSIONS: list[tuple[str, list[Any]]] = [
    # arithmetic and strings
    ("1 + 2 * 3", [7]),
    ("(1 + 2) * 3", [9]),
    ("7 / 2", [3.5]),
    ("6 / 3", [2]),
    ("7 % 3", [1]),
    ("-7 % 3", [-1]),
    ("'a' + 1", ["a1"]),
    ("1 + '2'", [3]),
    ("'5' - 2", [3]),
    ("'ab' * 3", ["ababab"]),
    ("0x10 + 1", [17]),
    ("1kb", [1024]),
    ("2gb", [2147483648]),
    ("1.5 + 1", [2.5]),
    ("$null + 5", [5]),
    ("$x = -5 + 2; $x", [-3]),
    ("$y = 3; -$y", [-3]),
    # arrays
    ("@(1, 2) + 3", [1, 2, 3]),
    ("1, 2 + 3", [1, 2, 3]),
    ("(1, 2, 3).Count", [3]),
    ("@().Count", [0]),
    ("@(@(1, 2)).Count", [2]),
    ("(,(1, 2)).Count", [1]),
    ("@($null).Count", [1]),
    ("1..4", [1, 2, 3, 4]),
    ("3..1", [3, 2, 1]),
    ("$a = 1, 2, 3; $a[0]; $a[-1]; $a[1..2]", [1, 3, 2, 3]),
    ("$a = 1, 2; $a[5] -eq $null", [True]),
    ("'abc'[1]", ["b"]),
    # comparison
    ("1 -eq 1", [True]),
    ("'ABC' -eq 'abc'", [True]),
    ("'ABC' -ceq 'abc'", [False]),
    ("'abc' -ne 'abd'", [True]),
    ("1 -eq '1'", [True]),
    ("'1' -eq 1", [True]),
    ("$true -eq 'false'", [True]),
    ("$null -eq $null", [True]),
    ("$null -eq 0", [False]),
    ("0 -eq $null", [False]),
    ("1, 2, 3, 2 -eq 2", [2, 2]),
    ("1, 2, 3 -gt 1", [2, 3]),
    ("1, 2, 3 -ne 2", [1, 3]),
    ("10 -gt 9", [True]),
    ("'10' -gt 9", [False]),
    ("'b' -gt 'A'", [True]),
    ("2 -le 2", [True]),
    ("'Contoso' -like 'con*'", [True]),
    ("'Contoso' -clike 'con*'", [False]),
    ("'abc' -like 'a?c'", [True]),
    ("'abc' -like '[a-c]bc'", [True]),
    ("'abc' -notlike '*d*'", [True]),
    ("'a', 'b', 'ab' -like 'a*'", ["a", "ab"]),
    ("'foo123' -match '\\d+'", [True]),
    ("'foo123' -match '(?<num>\\d+)'; $Matches['num']; $Matches[0]", [True, "123", "123"]),
    ("'ABC' -cmatch 'abc'", [False]),
    ("'abc' -notmatch 'x'", [True]),
    ("1, 2, 3 -contains 2", [True]),
    ("1, 2, 3 -contains '2'", [True]),
    ("'A', 'B' -contains 'b'", [True]),
    ("'A', 'B' -ccontains 'b'", [False]),
    ("'b' -in 'a', 'b'", [True]),
    ("'c' -notin 'a', 'b'", [True]),
    ("1 -notcontains 1", [False]),
    ("'a-b-c' -replace '-', '+'", ["a+b+c"]),
    ("'Hello' -replace 'L', 'x'", ["Hexxo"]),
    ("'Hello' -creplace 'L', 'x'", ["Hello"]),
    ("'John Smith' -replace '(\\w+) (\\w+)', '$2, $1'", ["Smith, John"]),
    ("'abc' -replace 'b'", ["ac"]),
    ("'a,b,,c' -split ','", ["a", "b", "", "c"]),
    ("-split ' a  b '", ["a", "b"]),
    ("'a1b2c' -split '\\d'", ["a", "b", "c"]),
    ("'a,b,c' -split ',', 2", ["a", "b,c"]),
    ("(1, 2, 3) -join '-'", ["1-2-3"]),
    ("-join ('a', 'b')", ["ab"]),
    ("'x' -is [string]", [True]),
    ("1 -is [int]", [True]),
    ("1 -isnot [string]", [True]),
    ("@() -is [array]", [True]),
    ("'5' -as [int]", [5]),
    ("'x' -as [int]", [None]),
    ("$true -and $false", [False]),
    ("$true -or $false", [True]),
    ("$true -xor $true", [False]),
    ("-not $true", [False]),
    ("!$null", [True]),
    ("-not 1 -eq 2", [False]),
    ("6 -band 3", [2]),
    ("6 -bor 3", [7]),
    # truthiness
    ("[bool]''", [False]),
    ("[bool]'false'", [True]),
    ("[bool]0", [False]),
    ("[bool]@()", [False]),
    ("[bool]@(0)", [False]),
    ("[bool]@(0, 0)", [True]),
    ("[bool]@{}", [True]),
    ("[bool]$null", [False]),
    # casts and conversions
    ("[int]'12'", [12]),
    ("[int]' 12 '", [12]),
    ("[int]2.5", [2]),
    ("[int]3.5", [4]),
    ("[int]''", [0]),
    ("[int]$true", [1]),
    ("[long]'5000000000'", [5000000000]),
    ("[double]'1.5'", [1.5]),
    ("[string]1.0", ["1"]),
    ("[string]1.5", ["1.5"]),
    ("[string]$null", [""]),
    ("[string]$true", ["True"]),
    ("[string](1, 2, 3)", ["1 2 3"]),
    ("[string][guid]'D9A3F4C2-1B2C-4D5E-8F90-A1B2C3D4E5F6'", ["d9a3f4c2-1b2c-4d5e-8f90-a1b2c3d4e5f6"]),
    ("[string][datetime]'2024-01-15T10:20:30'", ["01/15/2024 10:20:30"]),
    ("\"$([datetime]'2024-01-15')\"", ["01/15/2024 00:00:00"]),
    ("([string[]]'a').Count", [1]),
    ("([string[]](1, 2))[1]", ["2"]),
    ("([array]5).Count", [1]),
    ("[guid]::Empty.ToString()", ["00000000-0000-0000-0000-000000000000"]),
    ("([guid]'{D9A3F4C2-1B2C-4D5E-8F90-A1B2C3D4E5F6}').ToString('N')", ["d9a3f4c21b2c4d5e8f90a1b2c3d4e5f6"]),
    ("[int]::MaxValue", [2147483647]),
    ("([datetime]'2024-01-15T10:00:00Z').Kind", ["Local"]),
    ("([datetime]'2024-01-15T10:00:00').Kind", ["Unspecified"]),
    (
        "([datetime]'2024-01-15T10:00:00+02:00').ToUniversalTime().ToString('o')",
        ["2024-01-15T08:00:00.0000000Z"],
    ),
    (
        "([datetime]'2024-01-15T10:00:00.5Z').ToUniversalTime().ToString('yyyy-MM-dd HH:mm:ss.fff')",
        ["2024-01-15 10:00:00.500"],
    ),
    ("([datetime]'2024-01-15').AddDays(20).ToString('yyyy-MM-dd')", ["2024-02-04"]),
    ("([datetime]'2024-01-31').AddMonths(1).Day", [29]),
    ("([datetime]'2024-01-15T10:30:00').Date.Hour", [0]),
    ("([datetime]'2024-01-15').Year", [2024]),
    ("([datetime]'2024-01-15T10:00:00').ToString('MMM d, yyyy h:mm tt')", ["Jan 15, 2024 10:00 AM"]),
    ("([datetime]'2024-01-15T10:00:00').ToString('dddd')", ["Monday"]),
    ("(([datetime]'2024-01-15') - ([datetime]'2024-01-10')).TotalDays", [5.0]),
    ("(([datetime]'2024-01-15T12:00:00') - ([datetime]'2024-01-10')).Days", [5]),
    ("(([datetime]'2024-01-15T12:00:00') - ([datetime]'2024-01-15')).TotalHours", [12.0]),
    ("[string]([datetime]'2024-01-15' - [datetime]'2024-01-10')", ["5.00:00:00"]),
    ("[timespan]::FromDays(1.5).TotalHours", [36.0]),
    ("[datetime]::UtcNow.ToString('o')", ["2024-03-05T14:30:15.1234560Z"]),
    ("[datetime]::Parse('2024-01-15').Month", [1]),
    # static members
    ("[string]::IsNullOrEmpty('')", [True]),
    ("[string]::IsNullOrEmpty($null)", [True]),
    ("[string]::IsNullOrWhiteSpace('  ')", [True]),
    ("[string]::Join(', ', @('a', 'b'))", ["a, b"]),
    ("[math]::Max(3, 7)", [7]),
    ("[math]::Min(3, 7)", [3]),
    ("[math]::Floor(2.7)", [2.0]),
    ("[math]::Ceiling(2.1)", [3.0]),
    ("[math]::Round(2.5)", [2.0]),
    ("[math]::Round(3.14159, 2)", [3.14]),
    ("[regex]::Escape('a.b*c')", ["a\\.b\\*c"]),
    # string methods
    ("'Hello'.ToUpper()", ["HELLO"]),
    ("'Hello'.ToLowerInvariant()", ["hello"]),
    ("'  x  '.Trim()", ["x"]),
    ("'xxaxx'.TrimStart('x')", ["axx"]),
    ("'Hello'.StartsWith('He')", [True]),
    ("'Hello'.StartsWith('he')", [False]),
    ("'Hello'.EndsWith('lo')", [True]),
    ("'Hello'.Contains('ell')", [True]),
    ("'Hello'.Contains('ELL')", [False]),
    ("'Hello'.Replace('l', 'L')", ["HeLLo"]),
    ("'a,b,c'.Split(',')", ["a", "b", "c"]),
    ("'Hello'.Substring(1, 3)", ["ell"]),
    ("'Hello'.Substring(2)", ["llo"]),
    ("'Hello'.IndexOf('l')", [2]),
    ("'7'.PadLeft(3, '0')", ["007"]),
    ("'Hello'.Length", [5]),
    ("'abc'.GetType().FullName", ["System.String"]),
    ("(1).GetType().Name", ["Int32"]),
    ("(@{}).GetType().FullName", ["System.Collections.Hashtable"]),
    ("([ordered]@{}).GetType().Name", ["OrderedDictionary"]),
    ("(1, 2).GetType().FullName", ["System.Object[]"]),
    ("([pscustomobject]@{ A = 1 }).GetType().FullName", ["System.Management.Automation.PSCustomObject"]),
    ("(1.5).GetType().FullName", ["System.Double"]),
    ("($true).GetType().Name", ["Boolean"]),
    # -f formatting
    ("'{0}-{1}' -f 'a', 'b'", ["a-b"]),
    ("'{0:N2}' -f 1234.5", ["1,234.50"]),
    ("'{0:D3}' -f 7", ["007"]),
    ("'{0,5}|' -f 'ab'", ["   ab|"]),
    ("'{0,-5}|' -f 'ab'", ["ab   |"]),
    ("'{{{0}}}' -f 1", ["{1}"]),
    ("'{0:yyyy-MM-dd}' -f [datetime]'2024-01-15'", ["2024-01-15"]),
    ("'{0:X}' -f 255", ["FF"]),
    # strings
    ("'it''s'", ["it's"]),
    ("\u2018it\u2019\u2019s\u2019", ["it\u2019s"]),
    ("'it\u2019 + 'x'", ["itx"]),
    ('"a`tb"', ["a\tb"]),
    ('"`$x"', ["$x"]),
    ('"say ""hi"""', ['say "hi"']),
    ("$x = 'W'; \"Hello $x!\"", ["Hello W!"]),
    ("$o = [pscustomobject]@{ N = 'v' }; \"$o.N\"", ["@{N=v}.N"]),
    ("$o = [pscustomobject]@{ N = 'v' }; \"$($o.N)\"", ["v"]),
    ('$a = 1, 2; "$a"', ["1 2"]),
    ("$x = 'v'; \"${x}y\"", ["vy"]),
    ("$h = @{ k = 'v' }; \"$($h['k'])\"", ["v"]),
    ("@'\nline1\n$notexpanded\n'@", ["line1\n$notexpanded"]),
    ("$n = 'X'; @\"\nHi $n\n\"@", ["Hi X"]),
    # hashtables and objects
    ("$h = @{ A = 1 }; $h.B = 2; $h.Count", [2]),
    ("$h = @{ A = 1 }; $h['a']", [1]),
    ("$h = @{}; $h.Add('k', 1); $h.ContainsKey('K')", [True]),
    ("$h = [ordered]@{ Z = 1; A = 2 }; $h.Keys", ["Z", "A"]),
    ("$h = @{ A = 1 } + @{ B = 2 }; $h.Count", [2]),
    ("$h = @{ A = 1 }; $h.Remove('A'); $h.Count", [0]),
    ("$h = @{ A = if ($true) { 'yes' } else { 'no' } }; $h.A", ["yes"]),
    ("$o = [pscustomobject]@{ B = 1; A = 2 }; $o.B = 5; $o.B", [5]),
    ("$list = [pscustomobject]@{ N = 1 }, [pscustomobject]@{ N = 2 }; $list.N", [1, 2]),
    ("@([pscustomobject]@{ N = 1 }).N", [1]),
    ("$o = [pscustomobject]@{ A = 1 }; $o.Missing -eq $null", [True]),
    ("$o = New-Object PSObject -Property @{ A = 1 }; $o.A", [1]),
    ("@(1, 2).Contains(2)", [True]),
    ("$sb = { param($x) $x * 2 }; & $sb 4", [8]),
    ("$sb = { $args[0] + 1 }; $sb.Invoke(1)", [2]),
    ("$i = 5; $i++; $i", [6]),
    ("$i = 5; $i -= 2; $i", [3]),
    ("$a = @(); $a += 'x'; $a += 'y'; $a.Count", [2]),
    ("$s = 'a'; $s += 'b'; $s", ["ab"]),
]


@pytest.mark.parametrize(("script", "expected"), EXPRESSIONS)
def test_expression(script: str, expected: list[Any]) -> None:
    assert out(script) == expected


STATEMENTS: list[tuple[str, list[Any]]] = [
    ("if ($false) { 1 } elseif ($true) { 2 } else { 3 }", [2]),
    ("if (@()) { 'a' } else { 'b' }", ["b"]),
    ("if ('0') { 'a' }", ["a"]),
    ("for ($i = 0; $i -lt 3; $i++) { $i }", [0, 1, 2]),
    ("$i = 0; while ($i -lt 3) { $i; $i++ }", [0, 1, 2]),
    ("$i = 0; do { $i; $i++ } while ($i -lt 2)", [0, 1]),
    ("$i = 0; do { $i++ } until ($i -ge 3); $i", [3]),
    ("foreach ($x in 1..5) { if ($x -eq 2) { continue }; if ($x -eq 4) { break }; $x }", [1, 3]),
    ("foreach ($x in $null) { 'never' }; 'done'", ["done"]),
    ("foreach ($x in @{ a = 1; b = 2 }) { $x.Count }", [2]),
    (
        ':outer foreach ($a in 1..3) { foreach ($b in 1..3) { if ($b -eq 2) { continue outer }; "$a$b" } }',
        ["11", "21", "31"],
    ),
    ("switch ('b') { 'a' { 1 } 'b' { 2 } default { 3 } }", [2]),
    ("switch ('z') { 'a' { 1 } default { 3 } }", [3]),
    ("switch (1, 2) { 1 { 'one' } 2 { 'two' } }", ["one", "two"]),
    ("switch -wildcard ('abc') { 'a*' { 'A' } '*c' { 'C' } }", ["A", "C"]),
    ("switch -regex ('abc') { '^a' { 'A'; break } 'c$' { 'C' } }", ["A"]),
    ("$r = switch ('x') { 'x' { 'matched' } }; $r", ["matched"]),
    ("$v = if ($true) { 'a' } else { 'b' }; $v", ["a"]),
    ("$v = foreach ($i in 1..3) { $i * 10 }; $v.Count", [3]),
    ("$null = 'discarded'; [void]'also'; 'kept'", ["kept"]),
    ("function Get-Two { 2 }; Get-Two", [2]),
    ("function Add { param([int]$a, [int]$b = 10) $a + $b }; Add -a 1; Add 1 2; Add -b 5 -a '1'", [11, 3, 6]),
    ("function F { param($x) return \"r$x\"; 'never' }; F -x 1", ["r1"]),
    ("function F { $args.Count }; F 1 2 3", [3]),
    ("function F([switch]$On) { $On.IsPresent }; F; F -On", [False, True]),
    ("function F { 'a'; 'b' }; $r = F; $r.Count", [2]),
    ("function F { @() }; $r = F; $null -eq $r", [True]),
    ("function F { ,@(1, 2) }; (F).Count", [2]),
    ("$x = 1; function F { $x = 2; $x }; F; $x", [2, 1]),
    ("$x = 1; function F { $script:x = 2 }; F; $x", [2]),
    ("function Outer { function Inner { 'in' }; Inner }; Outer", ["in"]),
    ("$o = [pscustomobject]@{ A = 1 }; $o.A += 1; $o.A", [2]),
    ("$h = @{}; $h['k'] = 'v'; $h.k", ["v"]),
    ("$a = 1, 2, 3; $a[1] = 9; $a -join ','", ["1,9,3"]),
    ("1, 2, 3 | ForEach-Object { $_ * 2 }", [2, 4, 6]),
    ("1..3 | % { $_ } | Where-Object { $_ -gt 1 }", [2, 3]),
    ("1..4 | ? { $_ % 2 -eq 0 }", [2, 4]),
    ("1..3 | ForEach-Object -Begin { 'b' } -Process { $_ } -End { 'e' }", ["b", 1, 2, 3, "e"]),
    ("'a', 'b' | ForEach-Object ToUpper", ["A", "B"]),
    ("[pscustomobject]@{ N = 'x' } | ForEach-Object N", ["x"]),
    ("$t = 0; 1..3 | ForEach-Object { $t += $_ }; $t", [6]),
    (
        "$l = [pscustomobject]@{ N = 'a'; V = 1 }, [pscustomobject]@{ N = 'b'; V = 2 }; ($l | Where-Object V -gt 1).N",
        ["b"],
    ),
    (
        "$l = [pscustomobject]@{ N = 'a' }, [pscustomobject]@{ N = 'b' }; ($l | Where-Object N -EQ 'A').N",
        ["a"],
    ),
    (
        "$l = [pscustomobject]@{ N = 'ab' }, [pscustomobject]@{ N = 'b' }; ($l | Where-Object -Property N -Like -Value 'a*').N",
        ["ab"],
    ),
    (
        "$l = [pscustomobject]@{ On = $true }, [pscustomobject]@{ On = $false }; @($l | Where-Object On).Count",
        [1],
    ),
    ("3, 1, 2 | Sort-Object", [1, 2, 3]),
    ("3, 1, 2 | Sort-Object -Descending", [3, 2, 1]),
    ("'b', 'a', 'b' | Sort-Object -Unique", ["a", "b"]),
    (
        "$l = [pscustomobject]@{ N = 'b'; V = 1 }, [pscustomobject]@{ N = 'a'; V = 2 }; ($l | Sort-Object N).V",
        [2, 1],
    ),
    (
        "$l = [pscustomobject]@{ N = 'b' }, [pscustomobject]@{ N = 'a' }; ($l | Sort-Object { $_.N } -Descending).N",
        ["b", "a"],
    ),
    ("1..10 | Select-Object -First 2", [1, 2]),
    ("1..10 | Select-Object -Last 2", [9, 10]),
    ("1..10 | Select-Object -Skip 8", [9, 10]),
    ("1, 1, 2 | Select-Object -Unique", [1, 2]),
    (
        "$o = [pscustomobject]@{ A = 1; B = 2; C = 3 } | Select-Object A, C; $o.B -eq $null; ($o | Select-Object *).C",
        [True, 3],
    ),
    (
        "([pscustomobject]@{ A = 1; B = 2 } | Select-Object -Property * -ExcludeProperty B).B -eq $null",
        [True],
    ),
    (
        "$o = [pscustomobject]@{ A = 2 } | Select-Object @{ Name = 'Double'; Expression = { $_.A * 2 } }, @{ N = 'Same'; E = 'A' }; $o.Double; $o.Same",
        [4, 2],
    ),
    ("(1..3 | Measure-Object).Count", [3]),
    ("(1..4 | Measure-Object -Sum).Sum", [10.0]),
    (
        "$l = [pscustomobject]@{ V = 2 }, [pscustomobject]@{ V = 3 }; ($l | Measure-Object -Property V -Sum).Sum",
        [5.0],
    ),
    ("$g = 'a', 'b', 'a' | Group-Object; $g[0].Name; $g[0].Count", ["a", 2]),
    ("1, 2 | Out-Null; 'x'", ["x"]),
    ("(Get-Date -Date '2024-01-15T10:00:00').Hour", [10]),
    ("(Get-Date).ToUniversalTime().ToString('o')", ["2024-03-05T14:30:15.1234560Z"]),
    ("Get-Date -Format 'yyyy-MM-dd'", ["2024-03-05"]),
    ("(New-TimeSpan -Days 2).TotalHours", [48.0]),
    ("(Get-Command -Name Get-Date).Name", ["Get-Date"]),
    ("function My-Fn { }; (Get-Command My-Fn).Name", ["My-Fn"]),
    ("[bool](Get-Command -Name Nope-Nothing -ErrorAction SilentlyContinue)", [False]),
    ("Write-Output 1 2 3", [1, 2, 3]),
    ("Write-Output -NoEnumerate @(1, 2) | Measure-Object | ForEach-Object Count", [1]),
    ("Write-Verbose 'v'; Write-Host 'h' -ForegroundColor Red; Write-Debug 'd'; 'ok'", ["ok"]),
    ("$e = [pscustomobject]@{ A = 1 }; if ($e) { 'obj' }", ["obj"]),
    ("$sb = { 1 }; $sb.GetType().Name", ["ScriptBlock"]),
    ("$x = 'a'; $x = $x.ToUpper(); $x", ["A"]),
    ("# comment\n<# block\ncomment #>\n'x' `\n + 'y'", ["xy"]),
    ("$x = 1 +\n 2; $x", [3]),
    ("1, 2 |\n ForEach-Object { $_ }", [1, 2]),
    ("$s = (ConvertTo-SecureString -String 'p@ss' -AsPlainText -Force); $s.Length", [4]),
    ("Start-Sleep -Milliseconds 1; 'slept'", ["slept"]),
]


@pytest.mark.parametrize(("script", "expected"), STATEMENTS)
def test_statement(script: str, expected: list[Any]) -> None:
    assert out(script) == expected


def test_value_types() -> None:
    [h, o, g, d, s] = out(
        "@{ A = 1 }; [pscustomobject]@{ B = 2; A = 1 }; [guid]'D9A3F4C2-1B2C-4D5E-8F90-A1B2C3D4E5F6'; "
        "[datetime]'2024-01-15T10:00:00Z'; ConvertTo-SecureString 'x' -AsPlainText -Force"
    )
    assert isinstance(h, Hashtable) and h["a"] == 1
    assert isinstance(o, PSObject) and o.names() == ["B", "A"] and not o.adapted
    assert g == uuid.UUID("d9a3f4c2-1b2c-4d5e-8f90-a1b2c3d4e5f6")
    assert d == datetime(2024, 1, 15, 10, tzinfo=UTC) and datetime_kind(d) == "Local"
    assert s == SecureString("x")
    [span] = out("[datetime]'2024-01-16' - [datetime]'2024-01-15'")
    assert span == timedelta(days=1)


# ------------------------------------------------------------------------- errors at runtime
def test_statement_terminating_error_continues_with_next_statement() -> None:
    runtime = run("$null.Foo(); 'after'")
    assert runtime.output == ["after"]
    [error] = runtime.errors
    assert (error.fq_error_id, error.message) == (
        "InvokeMethodOnNull",
        "You cannot call a method on a null-valued expression.",
    )
    assert error.category == ErrorCategory.InvalidOperation
    assert error.exception_type == "System.Management.Automation.RuntimeException"


def test_error_action_preference_stop_makes_statement_errors_script_terminating() -> None:
    record = fails("$ErrorActionPreference = 'Stop'; $null.Foo(); 'never'")
    assert record.fq_error_id == "InvokeMethodOnNull"


@pytest.mark.parametrize(
    ("script", "fq_id", "message"),
    [
        ("$x = $null; $x[0]", "NullArray", "Cannot index into a null array."),
        ("$a = 0; 5 / $a", "RuntimeException", "Attempted to divide by zero."),
        (
            "'abc'.NoSuch()",
            "MethodNotFound",
            "Method invocation failed because [System.String] does not contain a method named 'NoSuch'.",
        ),
        (
            "(1, 2).Add(3)",
            "NotSupportedException",
            'Exception calling "Add" with "1" argument(s): "Collection was of a fixed size."',
        ),
        (
            "[int]'abc'",
            "InvalidCastFromStringToInteger",
            'Cannot convert value "abc" to type "System.Int32". Error: "Input string was not in a correct format."',
        ),
        (
            "[datetime]'not a date'",
            "InvalidCastParseTargetInvocation",
            'Cannot convert value "not a date" to type "System.DateTime". Error: "String was not recognized as a '
            'valid DateTime."',
        ),
        (
            "Get-NoSuchThing",
            "CommandNotFoundException",
            "The term 'Get-NoSuchThing' is not recognized as a name of a cmdlet, function, script file, or "
            "executable program. Check the spelling of the name, or if a path was included, verify that the path "
            "is correct and try again.",
        ),
        (
            "$o = [pscustomobject]@{ A = 1 }; $o.B = 1",
            "PropertyAssignmentException",
            "The property 'B' cannot be found on this object. Verify that the property exists and can be set.",
        ),
        (
            "'abc'.Substring(5)",
            "ArgumentOutOfRangeException",
            'Exception calling "Substring" with "1" argument(s): "startIndex cannot be larger than length of '
            'string.\r\nParameter name: startIndex"',
        ),
        (
            "Write-Output -Bogus 1",
            "NamedParameterNotFound,Write-Output",
            "A parameter cannot be found that matches parameter name 'Bogus'.",
        ),
        (
            "'{1}' -f 'a'",
            "FormatError",
            "Error formatting a string: Index (zero based) must be greater than or equal to zero and less than the "
            "size of the argument list..",
        ),
    ],
)
def test_runtime_errors(script: str, fq_id: str, message: str) -> None:
    runtime = run(script)
    assert [(e.fq_error_id, e.message) for e in runtime.errors] == [(fq_id, message)]


def test_command_not_found_record_shape() -> None:
    [error] = run("Get-NoSuchThing").errors
    assert error.category == ErrorCategory.ObjectNotFound
    assert error.exception_type == "System.Management.Automation.CommandNotFoundException"
    assert error.reason == "CommandNotFoundException"
    assert error.target_object == "Get-NoSuchThing"


def test_throw_string_is_runtime_exception_with_message_as_id() -> None:
    record = fails("throw 'Mailbox not found'; 'never'")
    assert record.message == "Mailbox not found"
    assert record.fq_error_id == "Mailbox not found"
    assert record.category == ErrorCategory.OperationStopped
    assert record.exception_type == "System.Management.Automation.RuntimeException"


def test_throw_without_argument_is_script_halted() -> None:
    record = fails("throw")
    assert (record.message, record.fq_error_id) == ("ScriptHalted", "ScriptHalted")


def test_try_catch_finally_and_error_record_members() -> None:
    assert out(
        """
        try {
            [int]'x'
        } catch [System.Management.Automation.RuntimeException] {
            $_.FullyQualifiedErrorId
            $_.Exception.GetType().FullName
            $_.CategoryInfo.Category
            $_.CategoryInfo.Reason
            $_.ToString()
        } finally {
            'finally'
        }
        'after'
        """
    ) == [
        "InvalidCastFromStringToInteger",
        "System.Management.Automation.RuntimeException",
        "InvalidArgument",
        "RuntimeException",
        'Cannot convert value "x" to type "System.Int32". Error: "Input string was not in a correct format."',
        "finally",
        "after",
    ]


def test_typed_catch_picks_matching_clause_and_rethrow_keeps_record() -> None:
    assert out(
        "try { Get-Nope } catch [System.ArgumentException] { 'arg' } "
        "catch [System.Management.Automation.CommandNotFoundException] { 'cnf' } catch { 'other' }"
    ) == ["cnf"]
    record = fails("try { throw 'inner' } catch { throw $_ }")
    assert record.fq_error_id == "inner"
    assert out("try { try { throw 'x' } finally { 'f1' } } catch { 'c:' + $_ }") == ["f1", "c:x"]


def test_error_inside_function_called_in_try_is_caught() -> None:
    assert out("function F { $null.M(); 'not reached' }; try { F } catch { 'caught' }") == ["caught"]


def test_dollar_error_collects_errors_newest_first() -> None:
    runtime = run("$null.A(); Get-Nope; $Error.Count; $Error[0].FullyQualifiedErrorId")
    assert runtime.output == [2, "CommandNotFoundException"]


def test_write_error_is_non_terminating_and_honours_error_action() -> None:
    runtime = run(
        "Write-Error -Message 'bad' -ErrorId 'My.Id' -Category ObjectNotFound -TargetObject 't'; 'after'"
    )
    assert runtime.output == ["after"]
    [record] = runtime.errors
    assert (record.message, record.fq_error_id, record.category, record.target_object) == (
        "bad",
        "My.Id",
        ErrorCategory.ObjectNotFound,
        "t",
    )
    assert record.exception_type == "Microsoft.PowerShell.Commands.WriteErrorException"
    assert (
        run("Write-Error 'plain'").errors[0].fq_error_id
        == "Microsoft.PowerShell.Commands.WriteErrorException"
    )
    quiet = run("Write-Error 'x' -ErrorAction SilentlyContinue; $Error.Count")
    assert quiet.errors == [] and quiet.output == [1]
    ignored = run("Write-Error 'x' -ErrorAction Ignore; $Error.Count")
    assert ignored.errors == [] and ignored.output == [0]
    assert out(
        "try { Write-Error 'boom' -ErrorAction Stop; 'no' } catch { 'caught ' + $_.Exception.Message }"
    ) == ["caught boom"]
    assert fails("Write-Error 'stop' -ErrorAction Stop; 'never'").message == "stop"
    assert out(
        "Write-Error 'e1' -ErrorVariable ev -ErrorAction SilentlyContinue; $ev.Count; $ev[0].Exception.Message"
    ) == [
        1,
        "e1",
    ]


def test_warnings_respect_warning_action_and_preference() -> None:
    assert run("Write-Warning 'careful'").warnings == ["careful"]
    assert run("Write-Warning 'x' -WarningAction SilentlyContinue").warnings == []
    assert run("$WarningPreference = 'SilentlyContinue'; Write-Warning 'x'").warnings == []
    assert out("Write-Warning 'w' -WarningVariable wv -WarningAction SilentlyContinue; $wv") == ["w"]


def test_strict_mode_latest() -> None:
    record = fails("Set-StrictMode -Version Latest; $ErrorActionPreference = 'Stop'; $undefinedVar")
    assert (record.fq_error_id, record.message) == (
        "VariableIsUndefined",
        "The variable '$undefinedVar' cannot be retrieved because it has not been set.",
    )
    record = fails(
        "Set-StrictMode -Version Latest; $ErrorActionPreference = 'Stop'; $o = [pscustomobject]@{ A = 1 }; $o.B"
    )
    assert (record.fq_error_id, record.message) == (
        "PropertyNotFoundStrict",
        "The property 'B' cannot be found on this object. Verify that the property exists.",
    )
    assert out("$undefinedVar -eq $null") == [True]


def test_invalid_error_action_preference_value() -> None:
    runtime = run("$ErrorActionPreference = 'Sometimes'")
    assert runtime.errors and "ActionPreference" in runtime.errors[0].message
