"""Properties and methods of the subset's values, and the static members of its types.

``.Prop`` on a collection is *member enumeration* (the property of each element), as PowerShell
does; an unknown method is ``MethodNotFound``; .NET exceptions thrown by a method arrive wrapped
as ``Exception calling "M" with "N" argument(s): "..."`` (MethodInvocationException).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from orchestrator.sandbox.pwsh import operators
from orchestrator.sandbox.pwsh.conversions import (
    DATETIME_MIN,
    convert,
    parse_datetime,
    to_datetime,
    to_string,
    to_timespan,
)
from orchestrator.sandbox.pwsh.errors import runtime_error, unsupported_runtime
from orchestrator.sandbox.pwsh.formatting import (
    culture_string,
    format_datetime,
    format_operator,
    format_value,
)
from orchestrator.sandbox.pwsh.values import (
    LOCAL,
    UNSPECIFIED,
    UTC,
    CategoryInfoView,
    CommandInfo,
    ExceptionView,
    TypeValue,
    datetime_kind,
    type_name,
)
from orchestrator.sandbox.runtime import (
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    PSObject,
    PSTerminatingError,
    SecureString,
    SwitchParameter,
)

_MISSING = object()
_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def property_not_found(name: str) -> PSTerminatingError:
    return runtime_error(
        "PropertyNotFoundStrict",
        f"The property '{name}' cannot be found on this object. Verify that the property exists.",
        category=ErrorCategory.NotSpecified,
        exception_type="System.Management.Automation.PropertyNotFoundException",
    )


def method_not_found(value: Any, name: str) -> PSTerminatingError:
    return runtime_error(
        "MethodNotFound",
        f"Method invocation failed because [{type_name(value)}] does not contain a method named '{name}'.",
    )


def method_exception(name: str, args: Sequence[Any], detail: str, error_id: str) -> PSTerminatingError:
    return runtime_error(
        error_id,
        f'Exception calling "{name}" with "{len(args)}" argument(s): "{detail}"',
        category=ErrorCategory.NotSpecified,
        exception_type="System.Management.Automation.MethodInvocationException",
    )


def _overload(name: str, args: Sequence[Any]) -> PSTerminatingError:
    return runtime_error(
        "MethodCountCouldNotFindBest",
        f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
        category=ErrorCategory.NotSpecified,
        exception_type="System.Management.Automation.MethodException",
    )


# ------------------------------------------------------------------------------- properties
def _scalar_property(value: Any, name: str) -> Any:
    """A property of one (non-collection) object, or ``_MISSING``."""
    key = name.lower()
    if isinstance(value, Hashtable):
        if name in value:
            return value[name]
        if key == "count":
            return len(value)
        if key == "keys":
            return list(value.keys())
        if key == "values":
            return list(value.values())
        return _MISSING
    if isinstance(value, PSObject):
        return value.get(name) if value.has(name) else _MISSING
    if isinstance(value, str):
        return len(value) if key == "length" else _MISSING
    if isinstance(value, datetime):
        simple = {
            "year": value.year, "month": value.month, "day": value.day, "hour": value.hour,
            "minute": value.minute, "second": value.second, "millisecond": value.microsecond // 1000,
            "dayofyear": value.timetuple().tm_yday, "kind": datetime_kind(value),
            "dayofweek": _DAY_NAMES[value.weekday()],
        }  # fmt: skip
        if key in simple:
            return simple[key]
        if key == "date":
            return value.replace(hour=0, minute=0, second=0, microsecond=0)
        if key == "timeofday":
            return value - value.replace(hour=0, minute=0, second=0, microsecond=0)
        if key == "ticks":
            naive = value.replace(tzinfo=None) - datetime(1, 1, 1)
            return _ticks(naive)
        return _MISSING
    if isinstance(value, timedelta):
        return _timespan_property(value, key)
    if isinstance(value, ErrorRecord):
        return _record_property(value, key)
    if isinstance(value, ExceptionView):
        return {"message": value.message, "innerexception": None, "errorrecord": value.record}.get(
            key, _MISSING
        )
    if isinstance(value, CategoryInfoView):
        record = value.record
        target = record.target_object
        return {
            "category": record.category.name,
            "reason": record.reason,
            "activity": record.activity,
            "targetname": to_string(target) if target is not None else "",
            "targettype": type_name(target).rsplit(".", 1)[-1] if target is not None else "",
        }.get(key, _MISSING)
    if isinstance(value, TypeValue):
        return {"name": value.name, "fullname": value.full_name}.get(key, _MISSING)
    if isinstance(value, SwitchParameter):
        return value.is_present if key == "ispresent" else _MISSING
    if isinstance(value, SecureString):
        return len(value.value) if key == "length" else _MISSING
    if isinstance(value, CommandInfo):
        return {"name": value.name, "commandtype": value.command_type}.get(key, _MISSING)
    return _MISSING


def _ticks(span: timedelta) -> int:
    return (span.days * 86400 + span.seconds) * 10_000_000 + span.microseconds * 10


def _timespan_property(value: timedelta, key: str) -> Any:
    ticks = _ticks(value)
    sign = -1 if ticks < 0 else 1
    magnitude = abs(ticks)
    total_seconds = ticks / 10_000_000
    table: dict[str, Any] = {
        "ticks": ticks,
        "days": sign * (magnitude // 864_000_000_000),
        "hours": sign * (magnitude // 36_000_000_000 % 24),
        "minutes": sign * (magnitude // 600_000_000 % 60),
        "seconds": sign * (magnitude // 10_000_000 % 60),
        "milliseconds": sign * (magnitude // 10_000 % 1000),
        "totaldays": total_seconds / 86400,
        "totalhours": total_seconds / 3600,
        "totalminutes": total_seconds / 60,
        "totalseconds": total_seconds,
        "totalmilliseconds": total_seconds * 1000,
    }
    return table.get(key, _MISSING)


def _record_property(record: ErrorRecord, key: str) -> Any:
    if key == "exception":
        return ExceptionView(record)
    if key == "fullyqualifiederrorid":
        return record.fq_error_id
    if key == "categoryinfo":
        return CategoryInfoView(record)
    if key == "targetobject":
        return record.target_object
    if key == "invocationinfo":
        return PSObject({"MyCommand": PSObject({"Name": record.activity}) if record.activity else None})
    if key in ("errordetails", "pipelineiterationinfo"):
        return None
    if key == "scriptstacktrace":
        return ""
    return _MISSING


def get_property(value: Any, name: str, strict: bool) -> Any:
    """``value.name``: property, hashtable key, or member enumeration over a collection."""
    if value is None:
        if strict:
            raise property_not_found(name)
        return 0 if name.lower() in ("count", "length") else None
    if isinstance(value, list | tuple):
        if name.lower() in ("count", "length"):
            return len(value)
        if name.lower() in ("rank",):
            return 1
        results: list[Any] = []
        found = False
        for item in value:
            got = _scalar_property(item, name) if item is not None else _MISSING
            if got is _MISSING:
                continue
            found = True
            if isinstance(got, list | tuple):
                results.extend(got)
            elif got is not None:
                results.append(got)
        if strict and not found:
            raise property_not_found(name)
        if not results:
            return None
        return results[0] if len(results) == 1 else results
    got = _scalar_property(value, name)
    if got is _MISSING and name.lower() in ("count", "length"):
        return 1  # PowerShell's intrinsic Count/Length on a scalar
    if got is _MISSING:
        if strict:
            raise property_not_found(name)
        return None
    return got


def set_property(target: Any, name: str, value: Any) -> None:
    if isinstance(target, Hashtable):
        target[name] = value
        return
    if isinstance(target, PSObject) and target.has(name):
        target.set(name, value)
        return
    raise runtime_error(
        "PropertyAssignmentException",
        f"The property '{name}' cannot be found on this object. Verify that the property exists and "
        "can be set.",
    )


# ---------------------------------------------------------------------------------- methods
def _comparison_ignores_case(args: Sequence[Any], index: int) -> bool:
    if len(args) <= index:
        return False
    mode = to_string(args[index]).lower()
    if mode.endswith("ignorecase"):
        return True
    if mode in ("ordinal", "currentculture", "invariantculture", "true", "false"):
        return mode == "true"
    raise runtime_error(
        "MethodArgumentConversionInvalidCastArgument",
        f'Cannot convert argument "comparisonType", with value: "{to_string(args[index])}", for '
        '"Compare" to type '
        '"System.StringComparison".',
    )


def _string_method(s: str, name: str, args: Sequence[Any]) -> Any:
    key = name.lower()
    n = len(args)
    if key in ("tolower", "tolowerinvariant") and n == 0:
        return s.lower()
    if key in ("toupper", "toupperinvariant") and n == 0:
        return s.upper()
    if key in ("trim", "trimstart", "trimend") and n <= 1:
        chars = (
            None
            if n == 0
            else "".join(to_string(a) for a in (args[0] if isinstance(args[0], list) else args))
        )
        if key == "trim":
            return s.strip(chars)
        return s.lstrip(chars) if key == "trimstart" else s.rstrip(chars)
    if key in ("startswith", "endswith", "contains", "indexof", "lastindexof", "equals") and 1 <= n <= 2:
        needle = to_string(args[0])
        hay = s
        if _comparison_ignores_case(args, 1):
            hay, needle = s.casefold(), needle.casefold()
        if key == "startswith":
            return hay.startswith(needle)
        if key == "endswith":
            return hay.endswith(needle)
        if key == "contains":
            return needle in hay
        if key == "equals":
            return hay == needle
        return hay.find(needle) if key == "indexof" else hay.rfind(needle)
    if key == "replace" and n == 2:
        old = to_string(args[0])
        if old == "":
            raise method_exception(
                name,
                args,
                "String cannot be of zero length.\r\nParameter name: oldValue",
                "ArgumentException",
            )
        return s.replace(old, to_string(args[1]))
    if key == "split" and n >= 1:
        seps = args[0] if isinstance(args[0], list) else [args[0]]
        texts = [to_string(x) for x in seps]
        if any(len(t) != 1 for t in texts):
            raise unsupported_runtime(
                "String.Split with a multi-character separator (PowerShell 5.1 and 7 differ)"
            )
        if n > 1:
            raise unsupported_runtime("String.Split with options or a count")
        parts = [s]
        for sep in texts:
            parts = [piece for part in parts for piece in part.split(sep)]
        return parts
    if key == "substring" and n in (1, 2):
        start = int(convert(args[0], "System.Int32"))
        if start < 0 or start > len(s):
            raise method_exception(
                name,
                args,
                "startIndex cannot be larger than length of string.\r\nParameter name: startIndex",
                "ArgumentOutOfRangeException",
            )
        if n == 1:
            return s[start:]
        length = int(convert(args[1], "System.Int32"))
        if length < 0 or start + length > len(s):
            raise method_exception(
                name,
                args,
                "Index and length must refer to a location within the string.\r\nParameter name: length",
                "ArgumentOutOfRangeException",
            )
        return s[start : start + length]
    if key in ("padleft", "padright") and n in (1, 2):
        width = int(convert(args[0], "System.Int32"))
        fill = to_string(args[1])[:1] if n == 2 else " "
        return s.rjust(width, fill) if key == "padleft" else s.ljust(width, fill)
    if key == "tostring" and n == 0:
        return s
    if key == "tochararray" and n == 0:
        return list(s)
    if key in ("tolower", "toupper", "trim", "startswith", "endswith", "contains", "replace", "substring"):
        raise _overload(name, args)
    raise method_not_found(s, name)


def _datetime_method(d: datetime, name: str, args: Sequence[Any]) -> Any:
    key = name.lower()
    n = len(args)
    if key == "touniversaltime" and n == 0:
        return d.replace(tzinfo=UTC)
    if key == "tolocaltime" and n == 0:
        return d.replace(tzinfo=LOCAL)
    if key == "tostring" and n <= 1:
        return format_datetime(d, to_string(args[0]) if n else None)
    units = {"adddays": "days", "addhours": "hours", "addminutes": "minutes", "addseconds": "seconds",
             "addmilliseconds": "milliseconds"}  # fmt: skip
    if key in units and n == 1:
        amount = float(convert(args[0], "System.Double"))
        try:
            return d + timedelta(**{units[key]: amount})
        except OverflowError:
            raise method_exception(
                name,
                args,
                "The added or subtracted value results in an un-representable "
                "DateTime.\r\nParameter name: value",
                "ArgumentOutOfRangeException",
            ) from None
    if key in ("addmonths", "addyears") and n == 1:
        count = int(convert(args[0], "System.Int32")) * (12 if key == "addyears" else 1)
        month_index = d.month - 1 + count
        year, month = d.year + month_index // 12, month_index % 12 + 1
        day = min(
            d.day,
            [
                31,
                29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ][month - 1],
        )
        return d.replace(year=year, month=month, day=day)
    if key == "subtract" and n == 1:
        other = args[0]
        return d - (other if isinstance(other, timedelta) else to_datetime(other))
    if key == "equals" and n == 1:
        return isinstance(args[0], datetime) and args[0] == d
    raise method_not_found(d, name)


def invoke_method(value: Any, name: str, args: Sequence[Any]) -> Any:
    """``value.name(args)`` for everything except script blocks (the interpreter runs those)."""
    key = name.lower()
    n = len(args)
    if value is None:
        raise runtime_error("InvokeMethodOnNull", "You cannot call a method on a null-valued expression.")
    if key == "gettype" and n == 0:
        return TypeValue(type_name(value))
    if isinstance(value, str):
        return _string_method(value, name, args)
    if isinstance(value, datetime):
        return _datetime_method(value, name, args)
    if isinstance(value, list | tuple):
        if key == "contains" and n == 1:
            return any(type(item) is type(args[0]) and item == args[0] for item in value)
        if key == "indexof" and n == 1:
            return next((i for i, item in enumerate(value) if item == args[0]), -1)
        if key in ("add", "remove", "clear", "insert", "removeat"):
            raise method_exception(name, args, "Collection was of a fixed size.", "NotSupportedException")
        if key in ("where", "foreach"):
            raise unsupported_runtime(f"the .{name}() intrinsic method (use {name.capitalize()}-Object)")
        if key == "tostring" and n == 0:
            return "System.Object[]"
        raise method_not_found(value, name)
    if isinstance(value, Hashtable):
        if key in ("containskey", "contains") and n == 1:
            return to_string(args[0]) in value
        if key == "containsvalue" and n == 1:
            return any(operators.equals(v, args[0]) for v in value.values())
        if key == "add" and n == 2:
            k = to_string(args[0])
            if k in value:
                raise method_exception(
                    name,
                    args,
                    f"Item has already been added. Key in dictionary: '{k}'  Key being added: '{k}'",
                    "ArgumentException",
                )
            value[k] = args[1]
            return None
        if key == "remove" and n == 1:
            value.pop(to_string(args[0]), None)
            return None
        if key == "clear" and n == 0:
            value.clear()
            return None
        if key == "clone" and n == 0:
            return type(value)(value.items())
        if key == "tostring" and n == 0:
            return type_name(value)
        raise method_not_found(value, name)
    if isinstance(value, uuid.UUID):
        if key == "tostring" and n <= 1:
            fmt = to_string(args[0]) if n else "D"
            text = {
                "d": str(value),
                "n": value.hex,
                "b": "{" + str(value) + "}",
                "p": "(" + str(value) + ")",
            }.get(fmt.lower())
            if text is None:
                raise method_exception(
                    name,
                    args,
                    'Format String can be only "D", "d", "N", "n", "P", "p", "B", "b", "X" or "x".',
                    "FormatException",
                )
            return text
        if key == "equals" and n == 1:
            return args[0] == value
        raise method_not_found(value, name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key == "tostring" and n <= 1:
            return format_value(value, to_string(args[0]) if n else "")
        if key == "equals" and n == 1:
            return type(args[0]) is type(value) and args[0] == value
        if key == "compareto" and n == 1:
            return operators.compare(value, args[0])
        raise method_not_found(value, name)
    if key == "tostring" and n == 0:
        if isinstance(value, ExceptionView | ErrorRecord):
            return value.message
        return culture_string(value)
    if key == "equals" and n == 1:
        return operators.equals(value, args[0]) if not isinstance(value, PSObject) else value is args[0]
    raise method_not_found(value, name)


# ------------------------------------------------------------------------------ static members
def static_property(type_full: str, name: str, now: Callable[[], datetime]) -> Any:
    key = name.lower()
    if type_full == "System.DateTime":
        if key == "utcnow":
            return now().astimezone(UTC).replace(tzinfo=UTC)
        if key == "now":
            return now().replace(tzinfo=LOCAL)
        if key == "today":
            return now().replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=LOCAL)
        if key == "minvalue":
            return DATETIME_MIN
        if key == "maxvalue":
            return datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UNSPECIFIED)
    if type_full == "System.Guid" and key == "empty":
        return uuid.UUID(int=0)
    if type_full == "System.String" and key == "empty":
        return ""
    if type_full == "System.TimeSpan" and key == "zero":
        return timedelta(0)
    if type_full == "System.Int32" and key in ("maxvalue", "minvalue"):
        return 2**31 - 1 if key == "maxvalue" else -(2**31)
    if type_full == "System.Int64" and key in ("maxvalue", "minvalue"):
        return 2**63 - 1 if key == "maxvalue" else -(2**63)
    raise unsupported_runtime(f"the static member [{type_full}]::{name}")


_REGEX_SPECIAL = set("\\*+?|{[()^$.# \t\n\r\f")


def static_method(type_full: str, name: str, args: Sequence[Any]) -> Any:
    key = name.lower()
    n = len(args)
    if type_full == "System.String":
        if key == "isnullorempty" and n == 1:
            return args[0] is None or to_string(args[0]) == ""
        if key == "isnullorwhitespace" and n == 1:
            return args[0] is None or to_string(args[0]).strip() == ""
        if key == "join" and n >= 2:
            items = args[1] if n == 2 and isinstance(args[1], list | tuple) else args[1:]
            return to_string(args[0]).join(to_string(item) for item in items)
        if key == "format" and n >= 1:
            rest = list(args[1]) if n == 2 and isinstance(args[1], list | tuple) else list(args[1:])
            return format_operator(to_string(args[0]), rest)
        if key == "concat":
            return "".join(to_string(a) for a in args)
    elif type_full == "System.Math":
        return _math(name, key, args)
    elif type_full == "System.DateTime":
        if key == "parse" and n == 1:
            return parse_datetime(to_string(args[0]))
        if key == "specifykind" and n == 2:
            kind = to_string(args[1]).lower()
            tz = {"utc": UTC, "local": LOCAL, "unspecified": UNSPECIFIED}.get(kind)
            if tz is None:
                raise _overload(name, args)
            return to_datetime(args[0]).replace(tzinfo=tz)
    elif type_full == "System.Guid":
        if key == "newguid" and n == 0:
            return uuid.uuid4()
        if key == "parse" and n == 1:
            return convert(to_string(args[0]), "System.Guid")
    elif type_full == "System.TimeSpan":
        units = {"fromdays": "days", "fromhours": "hours", "fromminutes": "minutes", "fromseconds": "seconds",
                 "frommilliseconds": "milliseconds"}  # fmt: skip
        if key in units and n == 1:
            return timedelta(**{units[key]: float(convert(args[0], "System.Double"))})
    elif type_full in ("System.Int32", "System.Int64"):
        if key == "parse" and n == 1:
            return convert(to_string(args[0]), type_full)
    elif type_full == "System.Text.RegularExpressions.Regex" and key == "escape" and n == 1:
        return (
            "".join("\\" + c if c in _REGEX_SPECIAL else c for c in to_string(args[0]))
            .replace("\\\t", "\\t")
            .replace("\\\n", "\\n")
            .replace("\\\r", "\\r")
            .replace("\\\f", "\\f")
        )
    raise _overload(name, args)


def _math(name: str, key: str, args: Sequence[Any]) -> Any:
    n = len(args)
    nums = [operators.to_number(a) for a in args]
    if key in ("min", "max") and n == 2:
        a, b = nums
        if isinstance(a, float) or isinstance(b, float):
            a, b = float(a), float(b)
        return min(a, b) if key == "min" else max(a, b)
    if key in ("floor", "ceiling", "truncate") and n == 1:
        fns: dict[str, Callable[[float], int]] = {
            "floor": math.floor,
            "ceiling": math.ceil,
            "truncate": math.trunc,
        }
        fn = fns[key]
        return float(fn(nums[0])) if isinstance(nums[0], float) else nums[0]
    if key == "round" and n in (1, 2):
        digits = int(nums[1]) if n == 2 else 0
        rounded = round(float(nums[0]), digits)
        return rounded
    if key == "abs" and n == 1:
        return abs(nums[0])
    raise _overload(name, args)


__all__ = [
    "get_property",
    "invoke_method",
    "set_property",
    "static_method",
    "static_property",
    "to_timespan",
]
