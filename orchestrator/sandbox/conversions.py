"""Argument conversion for parameter binding: the catalog's type strings, converted strictly.

PowerShell converts each argument to the parameter's declared type before a cmdlet sees it, and
that conversion is where many script bugs surface (``-LitigationHoldEnabled 'false'``,
``-Password 'plain text'``). This module reproduces those conversions for the types the catalog
uses. It knows nothing about cmdlets: a failure raises ``ConversionFailure`` with PowerShell's
error id and message *after* the ``Cannot bind parameter 'X'.`` prefix is added; the binder turns
it into an ``ErrorRecord`` for the command.

Every type string is first classified (``classify``) into a ``Kind``; the rules per kind are in
``docs/sandbox/binding.md``. Bound values keep the runtime's plain forms: ``str``, ``int``,
``float``, ``bool``, ``uuid.UUID``, aware ``datetime``, ``list`` for arrays, and the runtime's
``Hashtable``/``PSObject``/``SecureString``/``SwitchParameter``. Identity-like values (Exchange
``*IdParameter``, ``SmtpAddress``, ``WindowsLiveId``) stay as given (``str``, ``UUID`` or a
``PSObject``): the cmdlet resolves them against the tenant, as Exchange does.

Message texts are Windows PowerShell 5.1 / .NET Framework wording (what the EXO module's most
common host prints).
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from orchestrator.sandbox.runtime import Hashtable, PSObject, SecureString, SwitchParameter

__all__ = [
    "KNOWN_ENUMS",
    "UNLIMITED",
    "ConversionFailure",
    "Kind",
    "TypeInfo",
    "classify",
    "convert",
    "display",
    "dotnet_type_of",
    "is_exact",
]

UNLIMITED = "Unlimited"
"""The bound form of ``-ResultSize Unlimited`` (any spelling); limits bind as non-negative ``int``."""

_ACTION_PREFERENCE = "System.Management.Automation.ActionPreference"
# Enums the catalog names without accepted_values but the binder must validate. Values in
# numeric order (ActionPreference as in Windows PowerShell 5.1; PropertySet from Get-EXOMailbox).
KNOWN_ENUMS: Mapping[str, tuple[str, ...]] = {
    _ACTION_PREFERENCE: ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend"),
    "PropertySet": (
        "All",
        "Minimum",
        "AddressList",
        "Archive",
        "Audit",
        "Custom",
        "Delivery",
        "Hold",
        "Moderation",
        "Move",
        "Policy",
        "PublicFolder",
        "Quota",
        "Resource",
        "Retention",
        "SCL",
        "SoftDelete",
        "StatisticsSeed",
    ),
}


class Kind(enum.Enum):
    """How a parameter type converts (see binding.md, "Conversions")."""

    SWITCH = "switch"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DOUBLE = "double"
    STRING = "string"
    GUID = "guid"
    DATETIME = "datetime"
    SECURESTRING = "securestring"
    CREDENTIAL = "credential"
    UNLIMITED = "unlimited"
    HASHTABLE = "hashtable"
    IDENTITY = "identity"
    GRAPH_MODEL = "graph-model"
    ENUM = "enum"
    MULTIVALUED = "multivalued"
    PASSTHROUGH = "passthrough"


@dataclass(frozen=True)
class TypeInfo:
    """A classified type: ``kind`` of the (element) type, whether it is an array, .NET name."""

    kind: Kind
    is_array: bool
    dotnet_name: str
    element_name: str
    int_range: tuple[int, int, str] | None = None
    enum_values: tuple[str, ...] | None = None


class ConversionFailure(Exception):
    """A conversion failed; ``message`` is PowerShell's full text for parameter ``parameter``."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message


_INT_RANGES: Mapping[str, tuple[int, int, str]] = {
    "System.Int32": (-(2**31), 2**31 - 1, "an Int32"),
    "System.UInt32": (0, 2**32 - 1, "a UInt32"),
    "System.Int64": (-(2**63), 2**63 - 1, "an Int64"),
}
_SIMPLE: Mapping[str, tuple[Kind, str]] = {
    "String": (Kind.STRING, "System.String"),
    "System.String": (Kind.STRING, "System.String"),
    "System.Uri": (Kind.STRING, "System.Uri"),
    "Boolean": (Kind.BOOLEAN, "System.Boolean"),
    "System.Boolean": (Kind.BOOLEAN, "System.Boolean"),
    "SwitchParameter": (Kind.SWITCH, "System.Management.Automation.SwitchParameter"),
    "System.Management.Automation.SwitchParameter": (
        Kind.SWITCH,
        "System.Management.Automation.SwitchParameter",
    ),
    "Int32": (Kind.INTEGER, "System.Int32"),
    "System.Int32": (Kind.INTEGER, "System.Int32"),
    "UInt32": (Kind.INTEGER, "System.UInt32"),
    "Int64": (Kind.INTEGER, "System.Int64"),
    "System.Int64": (Kind.INTEGER, "System.Int64"),
    "System.Double": (Kind.DOUBLE, "System.Double"),
    "Double": (Kind.DOUBLE, "System.Double"),
    "Guid": (Kind.GUID, "System.Guid"),
    "System.Guid": (Kind.GUID, "System.Guid"),
    "DateTime": (Kind.DATETIME, "System.DateTime"),
    "System.DateTime": (Kind.DATETIME, "System.DateTime"),
    "SecureString": (Kind.SECURESTRING, "System.Security.SecureString"),
    "System.Security.SecureString": (Kind.SECURESTRING, "System.Security.SecureString"),
    "PSCredential": (Kind.CREDENTIAL, "System.Management.Automation.PSCredential"),
    "System.Management.Automation.PSCredential": (
        Kind.CREDENTIAL,
        "System.Management.Automation.PSCredential",
    ),
    "Unlimited": (Kind.UNLIMITED, "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]"),
    "Hashtable": (Kind.HASHTABLE, "System.Collections.Hashtable"),
    "System.Collections.Hashtable": (Kind.HASHTABLE, "System.Collections.Hashtable"),
    "System.Collections.IDictionary": (Kind.HASHTABLE, "System.Collections.IDictionary"),
    "PswsHashtable": (Kind.HASHTABLE, "PswsHashtable"),
    "MultiValuedProperty": (Kind.MULTIVALUED, "Microsoft.Exchange.Data.MultiValuedProperty`1[System.String]"),
    "ProxyAddressCollection": (Kind.MULTIVALUED, "Microsoft.Exchange.Data.ProxyAddressCollection"),
    "SmtpAddress": (Kind.IDENTITY, "Microsoft.Exchange.Data.SmtpAddress"),
    "WindowsLiveId": (Kind.IDENTITY, "Microsoft.Exchange.Data.WindowsLiveId"),
    _ACTION_PREFERENCE: (Kind.ENUM, _ACTION_PREFERENCE),
    "PropertySet": (Kind.ENUM, "PropertySet"),
}
_EXCHANGE_DATA = frozenset({"Fqdn", "SmtpDomain", "ProxyAddress", "EnhancedTimeSpan", "ByteQuantifiedSize"})


@lru_cache(maxsize=512)
def classify(type_name: str | None) -> TypeInfo:
    """Classify a catalog type string (Exchange short names and Graph full names alike)."""
    if type_name is None:  # example-only parameter of unknown type: accept what is given
        return TypeInfo(Kind.PASSTHROUGH, False, "System.Object", "System.Object")
    is_array = type_name.endswith("[]")
    element = type_name[:-2] if is_array else type_name
    if element in _SIMPLE:
        kind, dotnet = _SIMPLE[element]
    elif element.endswith("IdParameter"):
        kind, dotnet = Kind.IDENTITY, f"Microsoft.Exchange.Configuration.Tasks.{element}"
    elif element.startswith("Microsoft.Graph.PowerShell.Models."):
        kind, dotnet = Kind.GRAPH_MODEL, element
    elif element in _EXCHANGE_DATA:
        kind, dotnet = Kind.PASSTHROUGH, f"Microsoft.Exchange.Data.{element}"
    else:
        kind, dotnet = Kind.PASSTHROUGH, element
    return TypeInfo(
        kind=kind,
        is_array=is_array,
        dotnet_name=dotnet + ("[]" if is_array else ""),
        element_name=dotnet,
        int_range=_INT_RANGES.get(dotnet),
        enum_values=KNOWN_ENUMS.get(element),
    )


# --- how PowerShell names and prints values in its messages ------------------------------------


def dotnet_type_of(value: Any) -> str:
    """The .NET type name PowerShell would show for a runtime value."""
    simple: list[tuple[type, str]] = [
        (bool, "System.Boolean"),
        (int, "System.Int32"),
        (float, "System.Double"),
        (str, "System.String"),
        (uuid.UUID, "System.Guid"),
        (datetime, "System.DateTime"),
        (list, "System.Object[]"),
        (tuple, "System.Object[]"),
        (Hashtable, "System.Collections.Hashtable"),
        (dict, "System.Collections.Hashtable"),
        (SecureString, "System.Security.SecureString"),
        (SwitchParameter, "System.Management.Automation.SwitchParameter"),
    ]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        return "System.Int64"
    for python_type, name in simple:
        if isinstance(value, python_type):
            return name
    if isinstance(value, PSObject):
        return value.type_names[0] if value.type_names else "System.Management.Automation.PSObject"
    return "System.Object"


def _format_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, SwitchParameter):
        return "True" if value.is_present else "False"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")  # invariant culture, as PowerShell casts
    if isinstance(value, PSObject):
        return "@{" + "; ".join(f"{k}={display(v)}" for k, v in value.properties.items()) + "}"
    if isinstance(value, list | tuple | Hashtable | dict | SecureString):
        return dotnet_type_of(value)
    return str(value)


def display(value: Any) -> str:
    """``value.ToString()`` as PowerShell shows an argument in an error message."""
    return _format_scalar(value)


def _to_string(value: Any) -> str:
    """PowerShell's ``[string]`` conversion (arrays join with ``$OFS``, a space)."""
    if isinstance(value, list | tuple):
        return " ".join(_to_string(v) for v in value)
    return _format_scalar(value)


# --- failures -----------------------------------------------------------------------------------


def _no_message(parameter: str, inner: str) -> ConversionFailure:
    return ConversionFailure(
        "CannotConvertArgumentNoMessage", f"Cannot bind parameter '{parameter}'. {inner}"
    )


def _cannot_convert(parameter: str, value: Any, target: str, error: str) -> ConversionFailure:
    return _no_message(
        parameter, f'Cannot convert value "{display(value)}" to type "{target}". Error: "{error}"'
    )


def _invalid_cast(parameter: str, value: Any, target: str) -> ConversionFailure:
    inner = (
        f'Cannot convert the "{display(value)}" value of type "{dotnet_type_of(value)}" to type "{target}".'
    )
    return _no_message(parameter, inner)


def _array_to_scalar(parameter: str, value: Any, target: str) -> ConversionFailure:
    message = (
        f"Cannot convert '{dotnet_type_of(value)}' to the type '{target}' required by parameter "
        f"'{parameter}'. Specified method is not supported."
    )
    return ConversionFailure("CannotConvertArgument", message)


def _boolean_failure(parameter: str, value: Any, target: str) -> ConversionFailure:
    shown = "" if value is None else dotnet_type_of(value)
    message = (
        f"Cannot process argument transformation on parameter '{parameter}'. Cannot convert value "
        f'"{shown}" to type "{target}". Boolean parameters accept only Boolean values and numbers, '
        "such as $True, $False, 1 or 0."
    )
    return ConversionFailure("ParameterArgumentTransformationError", message)


def validation_failure(parameter: str, error_id: str, reason: str) -> ConversionFailure:
    """``Cannot bind argument to parameter 'X' because it is <reason>.`` (null/empty checks)."""
    return ConversionFailure(
        error_id, f"Cannot bind argument to parameter '{parameter}' because it is {reason}."
    )


# --- the converters, one per kind ----------------------------------------------------------------

_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
_HEX_TEXT = re.compile(r"^([+-]?)0x([0-9a-f]+)$", re.IGNORECASE)
_FLOAT_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$", re.IGNORECASE)
_FORMAT_ERROR = "Input string was not in a correct format."


def _parse_number(parameter: str, text: str, target: str) -> float | int:
    stripped = text.strip()
    if stripped == "":
        return 0
    if _INTEGER_TEXT.match(stripped):
        return int(stripped)
    hex_match = _HEX_TEXT.match(stripped)
    if hex_match:
        number = int(hex_match.group(2), 16)
        return -number if hex_match.group(1) == "-" else number
    if _FLOAT_TEXT.match(stripped):
        return float(stripped)
    raise _cannot_convert(parameter, text, target, _FORMAT_ERROR)


def _integer(parameter: str, value: Any, info: TypeInfo) -> int:
    target = info.element_name
    if isinstance(value, bool):
        number: float | int = int(value)
    elif isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        number = _parse_number(parameter, value, target)
    elif value is None:
        return 0
    else:
        raise _invalid_cast(parameter, value, target)
    if isinstance(number, float):
        number = round(number)  # banker's rounding, as .NET's Convert
    low, high, article = info.int_range or (-(2**63), 2**63 - 1, "an Int64")
    if not low <= number <= high:
        raise _cannot_convert(
            parameter, value, target, f"Value was either too large or too small for {article}."
        )
    return number


def _double(parameter: str, value: Any, info: TypeInfo) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        return float(_parse_number(parameter, value, info.element_name))
    if value is None:
        return 0.0
    raise _invalid_cast(parameter, value, info.element_name)


def _boolean(parameter: str, value: Any, info: TypeInfo) -> bool:
    if isinstance(value, SwitchParameter):
        return value.is_present
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    raise _boolean_failure(parameter, value, info.element_name)


def _guid(parameter: str, value: Any, info: TypeInfo) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            error = "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
            raise _cannot_convert(parameter, value, info.element_name, error) from None
    raise _invalid_cast(parameter, value, info.element_name)


_DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%d %B %Y",
    "%B %d, %Y",
)


def _parse_datetime(text: str) -> datetime | None:
    stripped = text.strip()
    try:
        return datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(stripped, pattern)
        except ValueError:
            continue
    return None


def _datetime(parameter: str, value: Any, info: TypeInfo) -> datetime:
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        parsed = _parse_datetime(value)
        if parsed is None:
            error = "String was not recognized as a valid DateTime."
            raise _cannot_convert(parameter, value, info.element_name, error)
    else:
        raise _invalid_cast(parameter, value, info.element_name)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _unlimited(parameter: str, value: Any, info: TypeInfo) -> str | int:
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return UNLIMITED
    number: Any = value
    if isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        number = int(value.strip())
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= 2**32 - 1:
        return number
    error = (
        f'The value "{display(value)}" is not valid. Valid values are "Unlimited" or a non-negative integer.'
    )
    raise _cannot_convert(parameter, value, info.element_name, error)


def _enum(parameter: str, value: Any, info: TypeInfo) -> str:
    names = info.enum_values or ()
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    if isinstance(value, str):
        for name in names:
            if name.lower() == value.strip().lower():
                return name
    error = (
        f"Unable to match the identifier name {display(value)} to a valid enumerator name. Specify one "
        f"of the following enumerator names and try again:\r\n{', '.join(names)}"
    )
    raise _cannot_convert(parameter, value, info.element_name, error)


def _string(parameter: str, value: Any, info: TypeInfo) -> str | None:
    return value if isinstance(value, str) or value is None else _to_string(value)


def _identity(parameter: str, value: Any, info: TypeInfo) -> Any:
    if isinstance(value, str | uuid.UUID | PSObject) or value is None:
        return value
    raise _invalid_cast(parameter, value, info.element_name)


def _graph_model(parameter: str, value: Any, info: TypeInfo) -> Any:
    if isinstance(value, Hashtable | PSObject) or value is None:
        return value
    if isinstance(value, dict):
        return Hashtable(value)
    raise _invalid_cast(parameter, value, info.element_name)


def _hashtable(parameter: str, value: Any, info: TypeInfo) -> Any:
    if isinstance(value, Hashtable) or value is None:
        return value
    if isinstance(value, dict):
        return Hashtable(value)
    raise _invalid_cast(parameter, value, info.element_name)


def _secure_string(parameter: str, value: Any, info: TypeInfo) -> SecureString | None:
    if isinstance(value, SecureString) or value is None:
        return value
    raise _invalid_cast(parameter, value, info.element_name)


def _credential(parameter: str, value: Any, info: TypeInfo) -> PSObject | None:
    if value is None or (
        isinstance(value, PSObject) and any(t.endswith("PSCredential") for t in value.type_names)
    ):
        return value
    raise _invalid_cast(parameter, value, info.element_name)


def _passthrough(parameter: str, value: Any, info: TypeInfo) -> Any:
    return value


_CONVERTERS = {
    Kind.SWITCH: lambda p, v, i: SwitchParameter(_boolean(p, v, i)),
    Kind.BOOLEAN: _boolean,
    Kind.INTEGER: _integer,
    Kind.DOUBLE: _double,
    Kind.STRING: _string,
    Kind.GUID: _guid,
    Kind.DATETIME: _datetime,
    Kind.SECURESTRING: _secure_string,
    Kind.CREDENTIAL: _credential,
    Kind.UNLIMITED: _unlimited,
    Kind.HASHTABLE: _hashtable,
    Kind.IDENTITY: _identity,
    Kind.GRAPH_MODEL: _graph_model,
    Kind.ENUM: _enum,
    Kind.PASSTHROUGH: _passthrough,
}


def _scalar(parameter: str, value: Any, info: TypeInfo) -> Any:
    if isinstance(value, list | tuple) and info.kind not in (Kind.BOOLEAN, Kind.SWITCH):
        if len(value) != 1:
            raise _array_to_scalar(parameter, value, info.element_name)
        value = value[0]  # PowerShell unwraps a one-element array for a scalar parameter
    return _CONVERTERS[info.kind](parameter, value, info)


def _validate_set(parameter: str, value: Any, accepted: tuple[str, ...]) -> None:
    items = value if isinstance(value, list) else [value]
    allowed = {a.lower() for a in accepted}
    for item in items:
        if item is not None and display(item).lower() not in allowed:
            message = (
                f"Cannot validate argument on parameter '{parameter}'. The argument \"{display(item)}\" does "
                f'not belong to the set "{",".join(accepted)}" specified by the ValidateSet attribute. '
                "Supply an argument that is in the set and then try the command again."
            )
            raise ConversionFailure("ParameterArgumentValidationError", message)


def _check_null_or_empty(parameter: str, value: Any, info: TypeInfo) -> None:
    """Mandatory parameters refuse ``$null``, ``''`` (string-like types) and ``@()`` (arrays)."""
    if value is None:
        raise validation_failure(parameter, "ParameterArgumentValidationErrorNullNotAllowed", "null")
    if value == "" and info.kind in (Kind.STRING, Kind.IDENTITY):
        raise validation_failure(
            parameter, "ParameterArgumentValidationErrorEmptyStringNotAllowed", "an empty string"
        )
    if isinstance(value, list | tuple) and not value and (info.is_array or info.kind is Kind.MULTIVALUED):
        raise validation_failure(
            parameter, "ParameterArgumentValidationErrorEmptyArrayNotAllowed", "an empty array"
        )


def convert(
    parameter: str,
    type_name: str | None,
    value: Any,
    *,
    mandatory: bool = False,
    accepted_values: tuple[str, ...] | None = None,
) -> Any:
    """Convert ``value`` for parameter ``parameter`` of catalog type ``type_name``, or raise."""
    info = classify(type_name)
    if mandatory and info.kind not in (Kind.BOOLEAN, Kind.SWITCH):
        _check_null_or_empty(parameter, value, info)
    if info.kind is Kind.MULTIVALUED:
        if value is None or isinstance(value, Hashtable):
            result: Any = value  # @{Add=...; Remove=...} is kept for the cmdlet to apply
        elif isinstance(value, dict):
            result = Hashtable(value)
        else:
            result = list(value) if isinstance(value, list | tuple) else [value]
    elif info.is_array:
        if value is None:
            result = None
        else:
            items = list(value) if isinstance(value, list | tuple) else [value]
            result = [_scalar(parameter, item, info) for item in items]
    else:
        result = _scalar(parameter, value, info)
    if accepted_values:
        _validate_set(parameter, result, accepted_values)
    return result


_EXACT: Mapping[Kind, tuple[type, ...]] = {
    Kind.SWITCH: (SwitchParameter,),
    Kind.BOOLEAN: (bool,),
    Kind.INTEGER: (int,),
    Kind.DOUBLE: (float,),
    Kind.STRING: (str,),
    Kind.GUID: (uuid.UUID,),
    Kind.DATETIME: (datetime,),
    Kind.SECURESTRING: (SecureString,),
    Kind.HASHTABLE: (Hashtable,),
    Kind.IDENTITY: (str, uuid.UUID, PSObject),
    Kind.MULTIVALUED: (list,),
}


def is_exact(type_name: str | None, value: Any) -> bool:
    """True when ``value`` already has the parameter's type (pipeline binding without coercion)."""
    info = classify(type_name)
    allowed = _EXACT.get(info.kind, ())
    if info.is_array:
        return isinstance(value, list) and all(isinstance(v, allowed) for v in value)
    if info.kind is Kind.INTEGER and isinstance(value, bool):
        return False
    return isinstance(value, allowed)
