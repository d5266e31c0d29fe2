"""Evaluator-only value types, and the .NET type name of every runtime value.

Values are the contract's (``runtime.Hashtable``, ``PSObject``, ``SecureString``, ...) plus plain
Python; the few PowerShell types that have no counterpart there live here: script blocks, ordered
dictionaries (so ``GetType()`` tells ``[ordered]`` from ``@{}``), the type objects that ``[int]``
evaluates to, and the ``Exception``/``CategoryInfo`` views of an ``ErrorRecord``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.runtime import ErrorRecord, Hashtable, PSObject, SecureString, SwitchParameter

#: ``DateTimeKind``: aware datetimes carry it in their (zero-offset) tzinfo. The sandbox host's
#: local time zone is UTC, so the three kinds differ only in how they print.
LOCAL: tzinfo = timezone(timedelta(0), "Local")
UNSPECIFIED: tzinfo = timezone(timedelta(0), "Unspecified")


__all__ = [
    "LOCAL",
    "UNSPECIFIED",
    "UTC",
    "CategoryInfoView",
    "CommandInfo",
    "ExceptionView",
    "OrderedDictionary",
    "ScriptBlockValue",
    "TypeValue",
    "as_utc_offset",
    "datetime_kind",
    "exception_chain",
    "type_name",
]


def datetime_kind(value: datetime) -> str:
    if value.tzinfo is LOCAL:
        return "Local"
    if value.tzinfo is UNSPECIFIED:
        return "Unspecified"
    return "Utc"


def as_utc_offset(value: datetime) -> datetime:
    """Normalise any datetime entering the evaluator: aware, zero offset (naive means UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    offset = value.utcoffset()
    if offset:
        return value.astimezone(UTC)
    return value


class OrderedDictionary(Hashtable):
    """``[ordered]@{}``: the same store as ``Hashtable`` but reports its own .NET type."""


@dataclass(frozen=True)
class ScriptBlockValue:
    """A ``{ ... }`` literal: the parsed block; it runs in the scope of whoever invokes it."""

    block: ast.ScriptBlock

    def __str__(self) -> str:
        return self.block.text


@dataclass(frozen=True)
class TypeValue:
    """What ``[int]`` evaluates to: a .NET type, identified by its full name."""

    full_name: str

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ExceptionView:
    """``$_.Exception`` for an ErrorRecord: message and type, what scripts ask of it."""

    record: ErrorRecord

    @property
    def message(self) -> str:
        return self.record.message


@dataclass(frozen=True)
class CategoryInfoView:
    """``$_.CategoryInfo``: Category (name), Reason, Activity, TargetName, TargetType."""

    record: ErrorRecord


@dataclass(frozen=True)
class CommandInfo:
    """What ``Get-Command`` returns: enough for ``if (Get-Command X -ErrorAction ...)`` checks."""

    name: str
    command_type: str


def type_name(value: Any) -> str:
    """The .NET full type name PowerShell reports for ``value.GetType().FullName``."""
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list | tuple):
        return "System.Object[]"
    if isinstance(value, OrderedDictionary):
        return "System.Collections.Specialized.OrderedDictionary"
    if isinstance(value, Hashtable | dict):
        return "System.Collections.Hashtable"
    if isinstance(value, PSObject):
        return value.type_names[0] if value.type_names else "System.Management.Automation.PSCustomObject"
    if isinstance(value, datetime):
        return "System.DateTime"
    if isinstance(value, timedelta):
        return "System.TimeSpan"
    if isinstance(value, uuid.UUID):
        return "System.Guid"
    if isinstance(value, SecureString):
        return "System.Security.SecureString"
    if isinstance(value, SwitchParameter):
        return "System.Management.Automation.SwitchParameter"
    if isinstance(value, ScriptBlockValue):
        return "System.Management.Automation.ScriptBlock"
    if isinstance(value, ErrorRecord):
        return "System.Management.Automation.ErrorRecord"
    if isinstance(value, ExceptionView):
        return value.record.exception_type
    if isinstance(value, CategoryInfoView):
        return "System.Management.Automation.ErrorCategoryInfo"
    if isinstance(value, TypeValue):
        return "System.RuntimeType"
    if isinstance(value, CommandInfo):
        return "System.Management.Automation.CmdletInfo"
    return "System.Object"


#: base types for ``-is`` and typed ``catch``: full name -> its ancestors (most derived first)
_EXCEPTION_BASES: dict[str, tuple[str, ...]] = {
    "System.Management.Automation.RuntimeException": ("System.SystemException",),
    "System.Management.Automation.ParseException": ("System.Management.Automation.RuntimeException",),
    "System.Management.Automation.ParameterBindingException": (
        "System.Management.Automation.RuntimeException",
    ),
    "System.Management.Automation.ParameterBindingValidationException": (
        "System.Management.Automation.ParameterBindingException",
    ),
    "System.Management.Automation.ParameterBindingArgumentTransformationException": (
        "System.Management.Automation.ParameterBindingException",
    ),
    "System.Management.Automation.CommandNotFoundException": (
        "System.Management.Automation.RuntimeException",
    ),
    "System.Management.Automation.ItemNotFoundException": (
        "System.Management.Automation.SessionStateException",
    ),
    "System.Management.Automation.SessionStateException": ("System.Management.Automation.RuntimeException",),
    "Microsoft.PowerShell.Commands.WriteErrorException": ("System.SystemException",),
    "System.ArgumentException": ("System.SystemException",),
    "System.ArgumentNullException": ("System.ArgumentException",),
    "System.ArgumentOutOfRangeException": ("System.ArgumentException",),
    "System.InvalidOperationException": ("System.SystemException",),
    "System.NotImplementedException": ("System.SystemException",),
    "System.FormatException": ("System.SystemException",),
    "System.InvalidCastException": ("System.SystemException",),
    "System.Management.Automation.PSInvalidCastException": ("System.InvalidCastException",),
    "System.TimeoutException": ("System.SystemException",),
    "System.SystemException": ("System.Exception",),
}


def exception_chain(full_name: str) -> list[str]:
    """``full_name`` and its known base classes up to ``System.Exception``."""
    chain = [full_name]
    current = full_name
    while current in _EXCEPTION_BASES:
        current = _EXCEPTION_BASES[current][0]
        chain.append(current)
    if chain[-1] != "System.Exception":
        chain.append("System.Exception")
    chain.append("System.Object")
    return chain
