"""Binary and unary operators with PowerShell's semantics.

The left operand decides: a string on the left makes ``+`` concatenate and ``-eq`` compare as
strings (the right side is converted to the left's type); an array on the left makes comparison
operators filter. String comparisons are case-insensitive unless the ``c``-prefixed form is used.
Short-circuit operators (``-and``, ``-or``) are in the interpreter, which evaluates lazily.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from orchestrator.sandbox.pwsh.conversions import (
    convert,
    is_instance,
    to_datetime,
    to_guid,
    to_string,
    truthy,
)
from orchestrator.sandbox.pwsh.errors import runtime_error
from orchestrator.sandbox.pwsh.formatting import format_operator
from orchestrator.sandbox.pwsh.values import TypeValue, type_name
from orchestrator.sandbox.runtime import ErrorCategory, Hashtable, PSTerminatingError, SwitchParameter

MAX_RANGE = 50_000_000
_CASE_BASES = {
    "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
    "contains", "notcontains", "in", "notin", "replace", "split",
}  # fmt: skip


def _op_missing(value: Any, method: str) -> PSTerminatingError:
    return runtime_error(
        "MethodNotFound",
        f"Method invocation failed because [{type_name(value)}] does not contain a method named '{method}'.",
    )


def to_number(value: Any) -> int | float:
    """The numeric value of an arithmetic operand (strings are parsed, ``$null`` is 0)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, SwitchParameter):
        return int(value.is_present)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", text):
            return int(text, 16)
        try:
            return float(text) if text else 0
        except ValueError:
            pass
        raise runtime_error(
            "InvalidCastFromStringToDoubleOrSingle",
            f'Cannot convert value "{value}" to type "System.Double". Error: "Input string was not '
            'in a correct format."',
            category=ErrorCategory.InvalidArgument,
        )
    raise _op_missing(value, "op_Addition")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def add(left: Any, right: Any) -> Any:
    if left is None:
        return list(right) if isinstance(right, list | tuple) else right
    if isinstance(left, str):
        return left + to_string(right)
    if isinstance(left, list | tuple):
        return [*left, *_as_list(right)]
    if isinstance(left, Hashtable):
        if not isinstance(right, Hashtable):
            raise runtime_error(
                "AddHashTableToNonHashTable", "A hash table can only be added to another hash table."
            )
        merged = type(left)(left.items())
        for key, value in right.items():
            if key in merged:
                raise runtime_error(
                    "System.ArgumentException",
                    f"Item has already been added. Key in dictionary: '{key}'  Key being added: '{key}'",
                    exception_type="System.ArgumentException",
                )
            merged[key] = value
        return merged
    if isinstance(left, datetime):
        if isinstance(right, timedelta):
            return left + right
        raise _op_missing(left, "op_Addition")
    if isinstance(left, timedelta):
        if isinstance(right, timedelta):
            return left + right
        raise _op_missing(left, "op_Addition")
    if isinstance(left, bool | int | float | SwitchParameter):
        return _arith(to_number(left), to_number(right), lambda a, b: a + b)
    raise _op_missing(left, "op_Addition")


def _arith(a: int | float, b: int | float, fn: Callable[[Any, Any], Any]) -> int | float:
    result: int | float = fn(a, b)
    return result


def subtract(left: Any, right: Any) -> Any:
    if isinstance(left, datetime):
        if isinstance(right, datetime):
            return left - right
        if isinstance(right, timedelta):
            return left - right
        raise _op_missing(left, "op_Subtraction")
    if isinstance(left, timedelta) and isinstance(right, timedelta):
        return left - right
    if left is None or isinstance(left, bool | int | float | str | SwitchParameter):
        return to_number(left) - to_number(right)
    raise _op_missing(left, "op_Subtraction")


def multiply(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        return left * int(convert(right, "System.Int32"))
    if isinstance(left, list | tuple):
        return list(left) * int(convert(right, "System.Int32"))
    if left is None or isinstance(left, bool | int | float | SwitchParameter):
        return to_number(left) * to_number(right)
    raise _op_missing(left, "op_Multiply")


def divide(left: Any, right: Any) -> Any:
    if not (left is None or isinstance(left, bool | int | float | str | SwitchParameter)):
        raise _op_missing(left, "op_Division")
    a, b = to_number(left), to_number(right)
    if b == 0:
        if isinstance(a, float) or isinstance(b, float):
            return math.copysign(math.inf, a) if a else math.nan
        raise runtime_error(
            "RuntimeException", "Attempted to divide by zero.", category=ErrorCategory.NotSpecified
        )
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def modulo(left: Any, right: Any) -> Any:
    a, b = to_number(left), to_number(right)
    if b == 0:
        if isinstance(a, float) or isinstance(b, float):
            return math.nan
        raise runtime_error(
            "RuntimeException", "Attempted to divide by zero.", category=ErrorCategory.NotSpecified
        )
    if isinstance(a, int) and isinstance(b, int):
        return a - b * int(a / b) if abs(a) < 2**52 else int(math.fmod(a, b))
    return math.fmod(a, b)


# ------------------------------------------------------------------------------ comparison
def equals(left: Any, right: Any, case_sensitive: bool = False) -> bool:
    """Scalar ``-eq``: the right operand is converted to the left operand's type."""
    if left is None:
        return right is None
    if right is None:
        return False
    if isinstance(left, str):
        r = right if isinstance(right, str) else to_string(right)
        return left == r if case_sensitive else left.casefold() == r.casefold()
    if isinstance(left, bool | SwitchParameter):
        return bool(left) == truthy(right)
    if isinstance(left, int | float):
        try:
            return left == to_number(right)
        except PSTerminatingError:
            return False
    if isinstance(left, datetime):
        try:
            return left == to_datetime(right)
        except PSTerminatingError:
            return False
    if isinstance(left, uuid.UUID):
        try:
            return left == to_guid(right)
        except PSTerminatingError:
            return False
    if isinstance(left, timedelta):
        return isinstance(right, timedelta) and left == right
    if isinstance(left, TypeValue):
        return isinstance(right, TypeValue) and left == right
    return left is right


def _comparison_failure(left: Any, right: Any, error: PSTerminatingError) -> PSTerminatingError:
    return runtime_error(
        "ComparisonFailure",
        f'Could not compare "{to_string(left)}" to "{to_string(right)}". Error: "{error.record.message}"',
    )


def compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """Ordering for ``-gt -ge -lt -le`` and ``Sort-Object``: negative, zero or positive."""
    if left is None and right is None:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    try:
        if isinstance(left, str):
            r = to_string(right)
            a, b = left.casefold(), r.casefold()
            if a != b or not case_sensitive:
                return (a > b) - (a < b)
            return (left < r) - (left > r)  # lower case sorts first, as in en-US
        if isinstance(left, bool | SwitchParameter):
            x, y = bool(left), truthy(right)
            return (x > y) - (x < y)
        if isinstance(left, int | float):
            n = to_number(right)
            return (left > n) - (left < n)
        if isinstance(left, datetime):
            d = to_datetime(right)
            return (left > d) - (left < d)
        if isinstance(left, timedelta) and isinstance(right, timedelta):
            return (left > right) - (left < right)
    except PSTerminatingError as error:
        raise _comparison_failure(left, right, error) from None
    raise runtime_error(
        "NotIcomparable",
        f'Cannot compare "{to_string(left)}" because it is not IComparable.',
    )


def wildcard_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """PowerShell wildcards: ``*`` ``?`` ``[a-z]``, backtick escapes; whole-string match."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise runtime_error(
                    "RuntimeException",
                    f"The specified wildcard character pattern is not valid: {pattern}",
                    exception_type="System.Management.Automation.WildcardPatternException",
                )
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append(f"[{body}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def dotnet_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """A .NET pattern in Python's dialect (named groups ``(?<n>...)``)."""
    translated = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    translated = re.sub(r"\\k<([A-Za-z_]\w*)>", r"(?P=\1)", translated)
    try:
        return re.compile(translated, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise runtime_error(
            "InvalidRegularExpression",
            f"The regular expression pattern {pattern} is not valid.",
            category=ErrorCategory.InvalidOperation,
            target=pattern,
        ) from exc


def dotnet_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """.NET substitutions: ``$1``, ``${name}``, ``$0``, ``$$``."""

    def expand(match: re.Match[str]) -> str:
        def substitute(m: re.Match[str]) -> str:
            if m.group(0) == "$$":
                return "$"
            key = m.group(1) or m.group(2)
            try:
                group = match.group(int(key) if key.isdigit() else key)
            except (IndexError, re.error):
                return m.group(0)
            return group or ""

        return re.sub(r"\$\$|\$(\d+)|\$\{(\w+)\}", substitute, replacement)

    return expand


def matches_table(match: re.Match[str]) -> Hashtable:
    """``$Matches`` after a successful ``-match``: group numbers and names (as string keys)."""
    table = Hashtable()
    named = {index: name for name, index in match.re.groupindex.items()}
    for index in range(match.re.groups, -1, -1):
        group = match.group(index)
        if group is not None:
            table[named.get(index, str(index))] = group
    return table


def range_op(left: Any, right: Any) -> list[int]:
    a = int(convert(left, "System.Int32"))
    b = int(convert(right, "System.Int32"))
    if abs(b - a) >= MAX_RANGE:
        raise runtime_error("RangeTooBig", "The range is too large.")
    return list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))


def type_operand(value: Any) -> str:
    """The right operand of ``-is``/``-as``: a type literal (or a type name string)."""
    if isinstance(value, TypeValue):
        return value.full_name
    from orchestrator.sandbox.pwsh.typenames import resolve

    if isinstance(value, str):
        full = resolve(value)
        if full is not None:
            return full
    raise runtime_error(
        "RuntimeException",
        "The right operand of '-is' or '-as' must be a type.",
    )


def split(left: Any, right: Any, case_sensitive: bool) -> list[str]:
    items = right if isinstance(right, list | tuple) else [right]
    pattern = to_string(items[0]) if items else " "
    limit = int(convert(items[1], "System.Int32")) if len(items) > 1 else 0
    regex = dotnet_regex(pattern, case_sensitive)
    result: list[str] = []
    for value in _as_list(left):
        result.extend(
            regex.split(to_string(value), maxsplit=max(limit - 1, 0)) if limit != 1 else [to_string(value)]
        )
    return [part for part in result if part is not None]


def replace(left: Any, right: Any, case_sensitive: bool) -> Any:
    items = list(right) if isinstance(right, list | tuple) else [right]
    if len(items) > 2:
        raise runtime_error(
            "BadReplaceArgument",
            "The -replace operator allows only two elements to follow it, not " + str(len(items)) + ".",
        )
    regex = dotnet_regex(to_string(items[0]), case_sensitive)
    repl = dotnet_replacement(to_string(items[1]) if len(items) > 1 else "")
    if isinstance(left, list | tuple):
        return [regex.sub(repl, to_string(v)) for v in left]
    return regex.sub(repl, to_string(left))


def join(left: Any, right: Any) -> str:
    return to_string(right).join(to_string(v) for v in _as_list(left))


def binary(op: str, left: Any, right: Any, set_matches: Callable[[Hashtable], None]) -> Any:
    """Every binary operator except the short-circuiting ``-and``/``-or``."""
    simple: dict[str, Callable[[Any, Any], Any]] = {
        "+": add, "-": subtract, "*": multiply, "/": divide, "%": modulo, "..": range_op,
    }  # fmt: skip
    if op in simple:
        return simple[op](left, right)
    if op == "-f":
        return format_operator(
            to_string(left), _as_list(right) if isinstance(right, list | tuple) else [right]
        )
    if op == "-xor":
        return truthy(left) != truthy(right)
    if op in ("-band", "-bor", "-bxor"):
        a, b = int(convert(left, "System.Int64")), int(convert(right, "System.Int64"))
        return {"-band": a & b, "-bor": a | b, "-bxor": a ^ b}[op]
    if op == "-join":
        return join(left, right)
    if op in ("-is", "-isnot"):
        result = is_instance(left, type_operand(right))
        return result if op == "-is" else not result
    if op == "-as":
        try:
            return convert(left, type_operand(right))
        except PSTerminatingError:
            return None
    cs = op.startswith("-c") and op[2:] in _CASE_BASES
    base = op[2:] if cs else op[1:]
    return _comparison(base, left, right, cs, set_matches)


def _comparison(base: str, left: Any, right: Any, cs: bool, set_matches: Callable[[Hashtable], None]) -> Any:
    if base == "contains":
        return any(equals(item, right, cs) for item in _as_list(left))
    if base == "notcontains":
        return not any(equals(item, right, cs) for item in _as_list(left))
    if base == "in":
        return any(equals(item, left, cs) for item in _as_list(right))
    if base == "notin":
        return not any(equals(item, left, cs) for item in _as_list(right))
    if base == "replace":
        return replace(left, right, cs)
    if base == "split":
        return split(left, right, cs)
    test: Callable[[Any], bool]
    if base in ("eq", "ne"):
        want = base == "eq"

        def test(item: Any) -> bool:
            return equals(item, right, cs) == want
    elif base in ("gt", "ge", "lt", "le"):

        def test(item: Any) -> bool:
            c = compare(item, right, cs)
            return {"gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[base]
    elif base in ("like", "notlike"):
        regex = wildcard_regex(to_string(right), cs)
        want = base == "like"

        def test(item: Any) -> bool:
            return (regex.match(to_string(item)) is not None) == want
    elif base in ("match", "notmatch"):
        regex = dotnet_regex(to_string(right), cs)
        want = base == "match"
        if not isinstance(left, list | tuple):
            found = regex.search(to_string(left))
            if found is not None:
                set_matches(matches_table(found))
            return (found is not None) == want

        def test(item: Any) -> bool:
            return (regex.search(to_string(item)) is not None) == want
    else:  # pragma: no cover - the parser only produces known operators
        raise runtime_error("UnexpectedToken", f"Unknown operator -{base}.")
    if isinstance(left, list | tuple):
        return [item for item in left if test(item)]
    return test(left)
