"""Runtime values <-> psrpcore's CLIXML types, for the PSRP messages the endpoint sends and receives.

Outgoing values are shaped the way real PowerShell serialises them, because that decides what
pypsrp hands the orchestrator: arrays as ``System.Object[]`` (pypsrp gives a ``list``), hashtables
as ``System.Collections.Hashtable`` (a ``dict``), service objects with adapted properties
(``<Props>``) and ``[pscustomobject]`` with note properties (``<MS>``), floats as ``Double``
(psrpcore would pick the lossy ``Single`` for a bare Python float).

Incoming values (parameters and pipeline input, already deserialised by psrpcore) are turned
back into plain runtime values, so the script host never sees a psrpcore type.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from psrpcore.types import (
    ErrorCategory as PSErrorCategory,
)
from psrpcore.types import (
    ErrorCategoryInfo,
    NETException,
    PSDateTime,
    PSDict,
    PSDouble,
    PSGuid,
    PSInt,
    PSInt64,
    PSList,
    PSNoteProperty,
    PSSecureString,
    PSString,
)
from psrpcore.types import (
    ErrorRecord as PSErrorRecord,
)
from psrpcore.types import (
    PSObject as CorePSObject,
)

from orchestrator.sandbox.runtime import ErrorRecord, Hashtable, PSObject, SecureString

__all__ = ["error_record_to_ps", "exception_type_chain", "from_clixml", "to_clixml"]

_ARRAY_TYPES = ["System.Object[]", "System.Array", "System.Object"]
_HASHTABLE_TYPES = ["System.Collections.Hashtable", "System.Object"]
_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)
_MAX_DEPTH = 64


def to_clixml(value: Any, _depth: int = 0) -> Any:
    """Convert a runtime value to something psrpcore's serialiser writes as PowerShell would.

    Unknown Python types are sent as their ``str()`` (PowerShell's own fallback for objects it
    cannot serialise deeper is a string too), so a host bug never breaks the wire protocol.
    """
    if _depth > _MAX_DEPTH:
        return PSString(str(value))
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in _INT32:
            return PSInt(value)
        if value in _INT64:
            return PSInt64(value)
        return PSString(str(value))
    if isinstance(value, float):
        return PSDouble(value)
    if isinstance(value, str):
        return PSString(value)
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
        return PSDateTime(
            aware.year, aware.month, aware.day, aware.hour, aware.minute, aware.second,
            aware.microsecond, tzinfo=aware.tzinfo,
        )  # fmt: skip
    if isinstance(value, uuid.UUID):
        return PSGuid(str(value))
    if isinstance(value, SecureString):
        # Never put the secret on the wire in clear; PowerShell shows the type name too.
        return PSString("System.Security.SecureString")
    if isinstance(value, list | tuple):
        array = PSList(to_clixml(item, _depth + 1) for item in value)
        array.PSObject.type_names = list(_ARRAY_TYPES)
        return array
    if isinstance(value, Hashtable | dict):
        table = PSDict()
        table.PSObject.type_names = list(_HASHTABLE_TYPES)
        for key, item in value.items():
            table[to_clixml(key, _depth + 1)] = to_clixml(item, _depth + 1)
        return table
    if isinstance(value, PSObject):
        return _object_to_clixml(value, _depth)
    return PSString(str(value))


def _object_to_clixml(value: PSObject, depth: int) -> CorePSObject:
    obj = CorePSObject()
    obj.PSObject.type_names = list(value.type_names) or ["System.Object"]
    if value.adapted:
        for name, item in value.properties.items():
            obj.PSObject.adapted_properties.append(PSNoteProperty(name, to_clixml(item, depth + 1)))
    else:
        for name, item in value.properties.items():
            obj.PSObject.extended_properties.append(PSNoteProperty(name, to_clixml(item, depth + 1)))
    return obj


def exception_type_chain(exception_type: str) -> list[str]:
    """The .NET type-name chain PowerShell writes for an exception (most derived first).

    The sandbox does not model .NET inheritance; this gives the chain the client-side code looks
    at: the full type, ``RuntimeException`` for PowerShell's own, then the .NET roots.
    """
    chain = [exception_type]
    if exception_type.startswith("System.Management.Automation.") and not exception_type.endswith(
        ".RuntimeException"
    ):
        chain.append("System.Management.Automation.RuntimeException")
    if exception_type != "System.Exception":
        chain.append("System.SystemException" if exception_type.startswith("System.") else "System.Exception")
    chain.extend(["System.Exception", "System.Object"])
    seen: set[str] = set()
    return [name for name in chain if not (name in seen or seen.add(name))]  # type: ignore[func-returns-value]


def error_record_to_ps(record: ErrorRecord) -> PSErrorRecord:
    """Build a PowerShell ErrorRecord for ``record``, as the PSRP error stream carries it.

    pypsrp reads: ToString -> ``str(rec)``, FullyQualifiedErrorId, ErrorCategory_* (category,
    activity, reason), TargetObject, and the Exception object (type names + Message).
    """
    exception = NETException(Message=record.message, HResult=-2146233087)
    exception.PSObject.type_names = exception_type_chain(record.exception_type)
    return PSErrorRecord(
        Exception=exception,
        CategoryInfo=ErrorCategoryInfo(
            Category=PSErrorCategory(int(record.category)),
            Activity=record.activity or None,
            Reason=record.reason,
            TargetName=_target_name(record.target_object),
            TargetType=_target_type(record.target_object),
        ),
        TargetObject=to_clixml(record.target_object),
        FullyQualifiedErrorId=record.fq_error_id,
    )


def _target_name(target: Any) -> str | None:
    if target is None or isinstance(target, PSObject | list | tuple | Mapping):
        return None
    return str(target)


def _target_type(target: Any) -> str | None:
    if target is None:
        return None
    if isinstance(target, PSObject):
        return target.type_names[0] if target.type_names else None
    return {str: "String", int: "Int32", bool: "Boolean", float: "Double"}.get(
        type(target), type(target).__name__
    )


def from_clixml(value: Any, _depth: int = 0) -> Any:
    """Convert a psrpcore-deserialised value (parameter or input) into a runtime value."""
    if _depth > _MAX_DEPTH or value is None or isinstance(value, bool):
        return value
    if isinstance(value, PSSecureString):
        return SecureString(str(value.decrypt()))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime.datetime):
        plain = datetime.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
            tzinfo=value.tzinfo or datetime.UTC,
        )  # fmt: skip
        return plain
    if isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    if isinstance(value, Mapping):
        return Hashtable((str(k), from_clixml(v, _depth + 1)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return [from_clixml(item, _depth + 1) for item in value]
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, CorePSObject):
        return _object_from_clixml(value, _depth)
    return str(value)


def _object_from_clixml(value: CorePSObject, depth: int) -> PSObject:
    meta = value.PSObject
    names = [name.removeprefix("Deserialized.") for name in meta.type_names]
    adapted = [(p.name, from_clixml(p.get_value(value), depth + 1)) for p in meta.adapted_properties]
    extended = [(p.name, from_clixml(p.get_value(value), depth + 1)) for p in meta.extended_properties]
    return PSObject(adapted + extended, names or ["System.Object"], adapted=bool(adapted) and not extended)
