"""PowerShell's value conversions (``LanguagePrimitives``) for the types of the subset.

Casts, parameter binding and the right-hand side of comparisons all convert through ``convert``.
Strings are formatted with the invariant culture, as PowerShell does for casts and string
expansion (``[string]$date`` is ``MM/dd/yyyy HH:mm:ss``); failures raise PowerShell's errors.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from orchestrator.sandbox.pwsh.errors import invalid_cast, runtime_error
from orchestrator.sandbox.pwsh.values import (
    LOCAL,
    UNSPECIFIED,
    UTC,
    CategoryInfoView,
    CommandInfo,
    ExceptionView,
    OrderedDictionary,
    ScriptBlockValue,
    TypeValue,
    as_utc_offset,
    type_name,
)
from orchestrator.sandbox.runtime import (
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    PSObject,
    SecureString,
    SwitchParameter,
)

DATETIME_MIN = datetime(1, 1, 1, tzinfo=UNSPECIFIED)
_INT_RANGES = {"System.Int32": (-(2**31), 2**31 - 1), "System.Int64": (-(2**63), 2**63 - 1)}
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)
_US = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?\s*$", re.IGNORECASE
)


# ---------------------------------------------------------------------------------- strings
def format_double(value: float) -> str:
    """``Double.ToString()`` (shortest round-trip, exponent from 1E+15)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        sign = "-" if exponent.startswith("-") else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        return f"{mantissa}E{sign}{digits}"
    return text


def format_timespan(value: timedelta) -> str:
    """``TimeSpan.ToString()``: ``[-][d.]hh:mm:ss[.fffffff]``."""
    ticks = (value.days * 86400 + value.seconds) * 10_000_000 + value.microseconds * 10
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    days, rest = divmod(ticks, 864_000_000_000)
    hours, rest = divmod(rest, 36_000_000_000)
    minutes, rest = divmod(rest, 600_000_000)
    seconds, fraction = divmod(rest, 10_000_000)
    text = f"{sign}{str(days) + '.' if days else ''}{hours:02}:{minutes:02}:{seconds:02}"
    return text + (f".{fraction:07}" if fraction else "")


def to_string(value: Any) -> str:
    """PowerShell's string conversion (casts, ``"$x"`` expansion, ``-join``, string ``+``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, list | tuple):
        return " ".join(to_string(v) for v in value)
    if isinstance(value, datetime):
        return (
            value.strftime("%m/%d/%Y %H:%M:%S")
            if value.year >= 1000
            else f"{value:%m/%d}/{value.year:04} " + f"{value:%H:%M:%S}"
        )
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, timedelta):
        return format_timespan(value)
    if isinstance(value, SwitchParameter):
        return "True" if value.is_present else "False"
    if isinstance(value, PSObject):
        return _psobject_string(value)
    if isinstance(value, ScriptBlockValue):
        return value.block.text
    if isinstance(value, ErrorRecord):
        return value.message
    if isinstance(value, ExceptionView):
        return f"{value.record.exception_type}: {value.record.message}"
    if isinstance(value, CategoryInfoView):
        record = value.record
        target = to_string(record.target_object)
        target_type = (
            type_name(record.target_object).rsplit(".", 1)[-1] if record.target_object is not None else ""
        )
        return f"{record.category.name}: ({target}:{target_type}) [{record.activity}], {record.reason}"
    if isinstance(value, TypeValue):
        return value.full_name
    if isinstance(value, CommandInfo):
        return value.name
    return type_name(value)


def _psobject_string(value: PSObject) -> str:
    if value.adapted:
        for key in ("Identity", "Name", "DisplayName"):
            if value.has(key):
                return to_string(value.get(key))
        return type_name(value)
    return "@{" + "; ".join(f"{k}={to_string(v)}" for k, v in value.properties.items()) + "}"


# -------------------------------------------------------------------------------- truthiness
def truthy(value: Any) -> bool:
    """PowerShell's ``[bool]``: ``$null ''`` ``0`` ``$false`` ``@()`` are false; ``@(x)`` is ``[bool]x``."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, SwitchParameter):
        return value.is_present
    if isinstance(value, list | tuple):
        if len(value) == 0:
            return False
        if len(value) == 1:
            return truthy(value[0])
        return True
    return True


# ------------------------------------------------------------------------------- conversions
def _int_from_string(text: str, target: str) -> int:
    stripped = text.strip()
    if stripped == "":
        return 0
    try:
        if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", stripped):
            return int(stripped, 16)
        if re.fullmatch(r"[+-]?\d+", stripped):
            return int(stripped)
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", stripped):
            return round(float(stripped))
    except ValueError:
        pass
    raise runtime_error(
        "InvalidCastFromStringToInteger",
        f'Cannot convert value "{text}" to type "{target}". Error: "Input string was not in a '
        'correct format."',
        category=ErrorCategory.InvalidArgument,
    )


def _to_integer(value: Any, target: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        result = int(value)
    elif isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _final_cast(value, target)
        result = round(value)
    elif isinstance(value, str):
        result = _int_from_string(value, target)
    elif isinstance(value, SwitchParameter):
        result = int(value.is_present)
    else:
        raise _final_cast(value, target)
    low, high = _INT_RANGES[target]
    if not low <= result <= high:
        short = target.rsplit(".", 1)[-1]
        raise invalid_cast(
            to_string(value), target, f"Value was either too large or too small for an {short}."
        )
    return result


def _to_double(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped == "":
            return 0.0
        try:
            return float(stripped)
        except ValueError:
            raise invalid_cast(value, "System.Double", "Input string was not in a correct format.") from None
    raise _final_cast(value, "System.Double")


def parse_datetime(text: str) -> datetime:
    """``DateTime.Parse`` with the invariant culture, for the forms scripts use.

    A string with ``Z`` or an offset parses to local time (Kind Local), without one to Kind
    Unspecified, as in .NET; the sandbox's local time zone is UTC.
    """
    m = _ISO.match(text)
    if m:
        year, month, day, hour, minute, second, fraction, zone = m.groups()
        micro = int((fraction or "0").ljust(7, "0")[:6])
        try:
            value = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
            )
        except ValueError:
            raise _bad_datetime(text) from None
        if zone is None:
            return value.replace(tzinfo=UNSPECIFIED)
        if zone.upper() == "Z":
            return value.replace(tzinfo=LOCAL)
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return (value - sign * offset).replace(tzinfo=LOCAL)
    m = _US.match(text)
    if m:
        month, day, year, hour, minute, second, ampm = m.groups()
        h = int(hour or 0)
        if ampm:
            if not 1 <= h <= 12:
                raise _bad_datetime(text)
            h = h % 12 + (12 if ampm.upper() == "PM" else 0)
        try:
            return datetime(
                int(year), int(month), int(day), h, int(minute or 0), int(second or 0), tzinfo=UNSPECIFIED
            )
        except ValueError:
            raise _bad_datetime(text) from None
    raise _bad_datetime(text)


def _bad_datetime(text: str) -> Exception:
    return invalid_cast(text, "System.DateTime", "String was not recognized as a valid DateTime.")


def _final_cast(value: Any, target: str) -> Exception:
    return invalid_cast(to_string(value), target, "", value_type=type_name(value))


def to_datetime(value: Any) -> datetime:
    if value is None:
        return DATETIME_MIN
    if isinstance(value, datetime):
        return as_utc_offset(value)
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return DATETIME_MIN + timedelta(microseconds=value // 10)
    raise _final_cast(value, "System.DateTime")


def to_guid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if value is None:
        return uuid.UUID(int=0)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(
            r"[{(]?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}[})]?", text
        ):
            braces = text[:1] + text[-1:]
            if braces in ("{}", "()") or (text[0] not in "{(" and text[-1] not in "})"):
                return uuid.UUID(text.strip("{}()"))
        raise invalid_cast(
            value,
            "System.Guid",
            "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
        )
    raise _final_cast(value, "System.Guid")


def to_timespan(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if value is None:
        return timedelta(0)
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(microseconds=value // 10)
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*", value)
        if m:
            neg, days, hours, minutes, seconds, fraction = m.groups()
            span = timedelta(
                days=int(days or 0),
                hours=int(hours),
                minutes=int(minutes),
                seconds=int(seconds or 0),
                microseconds=int((fraction or "0").ljust(7, "0")[:6]),
            )
            return -span if neg else span
        raise invalid_cast(value, "System.TimeSpan", "String was not recognized as a valid TimeSpan.")
    raise _final_cast(value, "System.TimeSpan")


def to_hashtable(value: Any, ordered: bool = False) -> Hashtable | None:
    if value is None:
        return None
    if isinstance(value, Hashtable) and (not ordered or isinstance(value, OrderedDictionary)):
        return value
    if isinstance(value, Mapping) and not ordered:
        return Hashtable(value)
    target = "System.Collections.Specialized.OrderedDictionary" if ordered else "System.Collections.Hashtable"
    raise _final_cast(value, target)


def to_pscustomobject(value: Any) -> Any:
    if isinstance(value, Mapping):
        return PSObject(list(value.items()))
    return value


def to_array(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def convert(value: Any, target: str) -> Any:
    """``[target]value`` with PowerShell's rules; ``target`` is a canonical full type name."""
    if (
        isinstance(value, PSObject)
        and not value.adapted
        and target in ("System.Object", "System.Management.Automation.PSObject")
    ):
        return value
    if target in ("System.Object", "System.Management.Automation.PSObject"):
        return value
    if target == "System.String":
        return "" if value is None else to_string(value)
    if target in _INT_RANGES:
        return _to_integer(value, target)
    if target == "System.Double":
        return _to_double(value)
    if target == "System.Boolean":
        return truthy(value)
    if target == "System.Management.Automation.SwitchParameter":
        return SwitchParameter(truthy(value))
    if target == "System.DateTime":
        return to_datetime(value)
    if target == "System.Guid":
        return to_guid(value)
    if target == "System.TimeSpan":
        return to_timespan(value)
    if target == "System.Collections.Hashtable":
        return to_hashtable(value)
    if target == "System.Collections.Specialized.OrderedDictionary":
        return to_hashtable(value, ordered=True)
    if target == "System.Management.Automation.PSCustomObject":
        return to_pscustomobject(value)
    if target in ("System.Array", "System.Object[]"):
        return to_array(value)
    if target.endswith("[]"):
        items = to_array(value)
        return None if items is None else [convert(item, target[:-2]) for item in items]
    if target == "System.Void":
        return None
    if target == "System.Security.SecureString" and isinstance(value, SecureString):
        return value
    if target == "System.Management.Automation.ScriptBlock" and isinstance(value, ScriptBlockValue):
        return value
    if target == "System.Management.Automation.ErrorRecord" and isinstance(value, ErrorRecord):
        return value
    if value is None:
        return None
    raise _final_cast(value, target)


def is_instance(value: Any, target: str) -> bool:
    """``value -is [target]``."""
    if value is None:
        return False
    if target in ("System.Object", "System.Management.Automation.PSObject"):
        return True
    actual = type_name(value)
    if target == actual:
        return True
    if target == "System.Int64" and actual == "System.Int32":
        return False
    if target == "System.Array":
        return isinstance(value, list | tuple)
    if target == "System.Collections.Hashtable":
        return isinstance(value, Hashtable) and not isinstance(value, OrderedDictionary)
    if target == "System.Management.Automation.PSCustomObject":
        return isinstance(value, PSObject) and not value.adapted
    return False


__all__ = ["DATETIME_MIN", "UTC", "convert", "is_instance", "parse_datetime", "to_string", "truthy"]
