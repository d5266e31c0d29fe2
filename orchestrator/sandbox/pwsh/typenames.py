"""The .NET type names the subset knows, resolved at parse time.

A type literal outside this table (``[System.IO.File]``, ``[xml]``) is rejected when the script is
parsed, so a template cannot reach a type the sandbox would have to fake.
"""

from __future__ import annotations

#: lower-case alias or full name -> canonical full name
_TYPES: dict[str, str] = {}


def _register(full: str, *aliases: str) -> None:
    _TYPES[full.lower()] = full
    for alias in aliases:
        _TYPES[alias.lower()] = full


_register("System.String", "string")
_register("System.Int32", "int", "int32")
_register("System.Int64", "long", "int64")
_register("System.Double", "double")
_register("System.Boolean", "bool", "boolean")
_register("System.Management.Automation.SwitchParameter", "switch")
_register("System.DateTime", "datetime")
_register("System.Guid", "guid")
_register("System.Object", "object")
_register("System.Array", "array")
_register("System.Collections.Hashtable", "hashtable")
_register("System.Collections.Specialized.OrderedDictionary", "ordered")
_register("System.Management.Automation.PSCustomObject", "pscustomobject")
_register("System.Management.Automation.PSObject", "psobject")
_register("System.Security.SecureString", "securestring")
_register("System.TimeSpan", "timespan")
_register("System.Math", "math")
_register("System.Void", "void")
_register("System.Text.RegularExpressions.Regex", "regex")
_register("System.Management.Automation.ScriptBlock", "scriptblock")
_register("System.Management.Automation.ErrorRecord")

#: element types allowed in ``[T[]]``
_ARRAY_ELEMENTS = {
    "System.String",
    "System.Int32",
    "System.Int64",
    "System.Double",
    "System.Boolean",
    "System.DateTime",
    "System.Guid",
    "System.Object",
    "System.Collections.Hashtable",
    "System.Management.Automation.PSObject",
}


def resolve(name: str) -> str | None:
    """Canonical full name for ``name`` (``string[]`` -> ``System.String[]``), or None."""
    cleaned = name.strip().replace(" ", "")
    if cleaned.endswith("[]"):
        element = _TYPES.get(cleaned[:-2].lower())
        return f"{element}[]" if element in _ARRAY_ELEMENTS else None
    return _TYPES.get(cleaned.lower())


def short_name(full: str) -> str:
    return full.rsplit(".", 1)[-1]
