""".NET formatting: ``DateTime.ToString(format)``, numeric format strings, and ``-f``.

Culture-sensitive formatting (``ToString()`` of a date, ``-f``) uses en-US, the culture the
sandbox host is documented to have; casts and string expansion stay invariant (conversions.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from orchestrator.sandbox.pwsh.conversions import format_double, to_string
from orchestrator.sandbox.pwsh.errors import runtime_error, unsupported_runtime
from orchestrator.sandbox.pwsh.values import datetime_kind

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_STANDARD = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d",
    "M": "MMMM d",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
}
_TOKEN = re.compile(r"y+|M+|d+|H+|h+|m+|s+|f+|F+|t+|K|z+|g+|'[^']*'|\"[^\"]*\"|\\.|%.|.", re.DOTALL)


def format_datetime(value: datetime, fmt: str | None = None) -> str:
    """``DateTime.ToString(fmt)`` in en-US; ``None``/empty is ``G``."""
    if not fmt:
        fmt = "G"
    if fmt in ("o", "O"):
        suffix = {"Utc": "Z", "Local": "+00:00", "Unspecified": ""}[datetime_kind(value)]
        return f"{value.year:04}-{value:%m-%dT%H:%M:%S}.{value.microsecond * 10:07}{suffix}"
    if len(fmt) == 1:
        if fmt not in _STANDARD:
            raise runtime_error(
                "FormatException",
                "Input string was not in a correct format.",
                exception_type="System.FormatException",
            )
        fmt = _STANDARD[fmt]
    return "".join(_datetime_token(value, tok) for tok in _TOKEN.findall(fmt))


def _datetime_token(value: datetime, tok: str) -> str:
    c = tok[0]
    n = len(tok)
    if c == "y":
        return f"{value.year % 100:0{n}}" if n <= 2 else f"{value.year:0{n}}"
    if c == "M":
        return [
            f"{value.month}",
            f"{value.month:02}",
            _MONTHS[value.month - 1][:3],
            _MONTHS[value.month - 1],
        ][min(n, 4) - 1]
    if c == "d":
        return [f"{value.day}", f"{value.day:02}", _DAYS[value.weekday()][:3], _DAYS[value.weekday()]][
            min(n, 4) - 1
        ]
    if c == "H":
        return f"{value.hour:0{min(n, 2)}}"
    if c == "h":
        return f"{(value.hour % 12) or 12:0{min(n, 2)}}"
    if c == "m":
        return f"{value.minute:0{min(n, 2)}}"
    if c == "s":
        return f"{value.second:0{min(n, 2)}}"
    if c in "fF":
        digits = f"{value.microsecond * 10:07}"[:n]
        return digits.rstrip("0") if c == "F" else digits
    if c == "t":
        marker = "AM" if value.hour < 12 else "PM"
        return marker[:1] if n == 1 else marker
    if c == "K":
        return {"Utc": "Z", "Local": "+00:00", "Unspecified": ""}[datetime_kind(value)]
    if c == "z":
        return ["+0", "+00", "+00:00"][min(n, 3) - 1]
    if c == "g":
        return "A.D."
    if c in "'\"":
        return tok[1:-1]
    if c in "\\%":
        return _datetime_token(value, tok[1]) if c == "%" else tok[1]
    return tok


def _group(digits: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return ",".join(out)


def format_number(value: int | float, fmt: str) -> str:
    """Standard numeric formats N, F, D, X, P, E/G(basic) and simple custom ``0.00``/``#,##0``."""
    m = re.fullmatch(r"([NnFfDdXxPp])(\d{0,2})", fmt)
    if m:
        kind = m.group(1).upper()
        precision = int(m.group(2)) if m.group(2) else None
        if kind == "D":
            if not isinstance(value, int):
                raise runtime_error(
                    "FormatException",
                    "Format specifier was invalid.",
                    exception_type="System.FormatException",
                )
            return ("-" if value < 0 else "") + f"{abs(value):0{precision or 0}d}"
        if kind == "X":
            if not isinstance(value, int):
                raise runtime_error(
                    "FormatException",
                    "Format specifier was invalid.",
                    exception_type="System.FormatException",
                )
            text = f"{value if value >= 0 else value + (1 << 32):0{precision or 0}x}"
            return text.upper() if m.group(1) == "X" else text
        places = 2 if precision is None else precision
        number = float(value) * (100 if kind == "P" else 1)
        text = f"{abs(number):.{places}f}"
        if kind in ("N", "P"):
            whole, _, frac = text.partition(".")
            text = _group(whole) + (f".{frac}" if frac else "")
        negative = number < 0 and float(text.replace(",", "")) != 0
        text = ("-" if negative else "") + text
        return text + " %" if kind == "P" else text
    m = re.fullmatch(r"([#0,]*0)(?:\.(0+|#+))?", fmt)
    if m:
        places = len(m.group(2) or "")
        text = f"{abs(float(value)):.{places}f}"
        if m.group(2) and m.group(2).startswith("#"):
            text = text.rstrip("0").rstrip(".")
        whole, _, frac = text.partition(".")
        if "," in m.group(1):
            whole = _group(whole)
        text = whole + (f".{frac}" if frac else "")
        return ("-" if float(value) < 0 and float(text.replace(",", "")) != 0 else "") + text
    raise unsupported_runtime(f"the numeric format string '{fmt}'")


def format_value(value: Any, fmt: str) -> str:
    """One ``{0:fmt}`` item (or ``$x.ToString(fmt)``)."""
    if isinstance(value, datetime):
        return format_datetime(value, fmt)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (
            format_number(value, fmt)
            if fmt
            else (format_double(value) if isinstance(value, float) else str(value))
        )
    if fmt:
        raise unsupported_runtime(f"the format string '{fmt}' for this value")
    return culture_string(value)


def culture_string(value: Any) -> str:
    """``value.ToString()`` in en-US (differs from ``[string]`` only for dates and arrays)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, list | tuple):
        return "System.Object[]"
    return to_string(value)


_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}|[{}]")


def format_operator(template: str, args: list[Any]) -> str:
    """``'fmt' -f args``: .NET composite formatting."""
    out: list[str] = []
    pos = 0
    for m in _ITEM.finditer(template):
        out.append(template[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
            continue
        if m.group(1) is None:
            raise runtime_error(
                "FormatError", "Error formatting a string: Input string was not in a correct format.."
            )
        index = int(m.group(1))
        if index >= len(args):
            raise runtime_error(
                "FormatError",
                "Error formatting a string: Index (zero based) must be greater than or equal to "
                "zero and less "
                "than the size of the argument list..",
            )
        text = format_value(args[index], m.group(3) or "")
        if m.group(2):
            width = int(m.group(2))
            text = text.ljust(-width) if width < 0 else text.rjust(width)
        out.append(text)
    out.append(template[pos:])
    return "".join(out)
