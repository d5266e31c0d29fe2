"""The object-pipeline built-ins: Where-Object, ForEach-Object, Select-Object, Sort-Object,
Group-Object, Measure-Object.

They see an object's *properties* the way PowerShell's cmdlets do (through the object adapter):
a hashtable's keys are not properties there (``@{a=1} | Select-Object a`` gives ``a = $null``),
unlike member access ``$h.a`` in the language. Script blocks given to Where-Object/ForEach-Object
run dot-sourced in the caller's scope with ``$_`` set, as in PowerShell.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orchestrator.sandbox.pwsh import members, operators
from orchestrator.sandbox.pwsh.binder import ParamSpec, Token, bind_tokens
from orchestrator.sandbox.pwsh.conversions import to_string, truthy
from orchestrator.sandbox.pwsh.errors import binding_error, runtime_error, unsupported_runtime
from orchestrator.sandbox.pwsh.operators import wildcard_regex
from orchestrator.sandbox.pwsh.scope import Scope
from orchestrator.sandbox.pwsh.streams import CommandStreams
from orchestrator.sandbox.pwsh.values import ScriptBlockValue, type_name
from orchestrator.sandbox.runtime import ErrorCategory, ErrorRecord, Hashtable, PSObject, PSTerminatingError

if TYPE_CHECKING:
    from orchestrator.sandbox.pwsh.interpreter import Interpreter

_HASHTABLE_PROPERTIES = ["IsReadOnly", "IsFixedSize", "IsSynchronized", "Keys", "Values", "SyncRoot", "Count"]


def bind(
    command: str, specs: list[ParamSpec], tokens: list[Token], streams: CommandStreams
) -> dict[str, Any]:
    result = bind_tokens(specs, tokens, command, advanced=True)
    streams.apply_common_parameters(result.common)
    return result.bound


def property_names(obj: Any) -> list[str]:
    if isinstance(obj, PSObject):
        return obj.names()
    if isinstance(obj, Hashtable):
        return list(_HASHTABLE_PROPERTIES)
    return []


def property_value(obj: Any, name: str) -> Any:
    """An object's property as pipeline cmdlets see it (hashtable keys are not properties)."""
    if isinstance(obj, Hashtable):
        key = name.lower()
        if key == "count":
            return len(obj)
        if key == "keys":
            return list(obj.keys())
        if key == "values":
            return list(obj.values())
        return None
    if obj is None or isinstance(obj, list | tuple):
        return None
    return members.get_property(obj, name, strict=False)


def has_property(obj: Any, name: str) -> bool:
    if isinstance(obj, PSObject):
        return obj.has(name)
    if isinstance(obj, Hashtable):
        return name.lower() in (p.lower() for p in _HASHTABLE_PROPERTIES)
    return members.get_property(obj, name, strict=False) is not None


def _items(input_objects: list[Any] | None, bound: dict[str, Any]) -> list[Any]:
    if "InputObject" in bound:
        return [bound["InputObject"]]
    return list(input_objects or [])


def _script_result(interp: Interpreter, block: ScriptBlockValue, scope: Scope, item: Any) -> list[Any]:
    out: list[Any] = []
    interp.run_in_scope(block, scope, item, out.append)
    return out


# ----------------------------------------------------------------------------- Where-Object
_WHERE_OPS = [
    "EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains", "NotContains",
    "In", "NotIn", "Is", "IsNot", "CEQ", "CNE", "CGT", "CGE", "CLT", "CLE", "CLike", "CNotLike", "CMatch",
    "CNotMatch", "CContains", "CNotContains", "CIn", "CNotIn", "Not",
]  # fmt: skip
_WHERE_SPECS = [
    ParamSpec("FilterScript", position=0),
    ParamSpec("Value", position=1),
    ParamSpec("Property"),
    ParamSpec("InputObject"),
    *[ParamSpec(op, switch=True) for op in _WHERE_OPS],
]


def where_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Where-Object", _WHERE_SPECS, tokens, streams)
    script = bound.pop("FilterScript", None)
    prop = bound.pop("Property", None)
    if script is not None and not isinstance(script, ScriptBlockValue):
        if prop is not None:
            raise binding_error(
                "AmbiguousParameterSet",
                "Parameter set cannot be resolved using the specified named parameters.",
                "Where-Object",
            )
        prop, script = script, None
    ops = [op for op in _WHERE_OPS if op in bound]
    if len(ops) > 1 or (script is not None and (ops or prop is not None)):
        raise binding_error(
            "AmbiguousParameterSet",
            "Parameter set cannot be resolved using the specified named parameters.",
            "Where-Object",
        )
    for item in _items(input_objects, bound):
        interp.state.check_stop()
        if script is not None:
            keep = truthy(_script_result(interp, script, scope, item))
        elif prop is not None:
            value = property_value(item, to_string(prop))
            if not ops:
                keep = truthy(value)
            elif ops[0] == "Not":
                keep = not truthy(value)
            else:
                if "Value" not in bound:
                    raise unsupported_runtime(f"Where-Object -{ops[0]} without a value")
                op = "-" + ops[0].lower()
                keep = truthy(interp.binary_value(op, value, bound["Value"], scope))
        else:
            raise binding_error(
                "AmbiguousParameterSet",
                "Parameter set cannot be resolved using the specified named parameters.",
                "Where-Object",
            )
        if keep:
            streams.write_output([item] if isinstance(item, list | tuple) else item)


# ---------------------------------------------------------------------------- ForEach-Object
_FOREACH_SPECS = [
    ParamSpec("Process", position=0),
    ParamSpec("ArgumentList", position=1),
    ParamSpec("Begin"),
    ParamSpec("End"),
    ParamSpec("MemberName"),
    ParamSpec("InputObject"),
    ParamSpec("Parallel"),
    ParamSpec("RemainingScripts"),
]


def foreach_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("ForEach-Object", _FOREACH_SPECS, tokens, streams)
    if "Parallel" in bound or "RemainingScripts" in bound:
        raise unsupported_runtime("ForEach-Object -Parallel/-RemainingScripts")
    process = bound.get("Process")
    member = bound.get("MemberName")
    if process is not None and not isinstance(process, ScriptBlockValue):
        if isinstance(process, list):
            raise unsupported_runtime("ForEach-Object with several -Process script blocks")
        member, process = process, None
    items = _items(input_objects, bound) if input_objects is not None or "InputObject" in bound else [None]

    def run(block: Any, item: Any) -> None:
        if block is None:
            return
        if not isinstance(block, ScriptBlockValue):
            raise binding_error(
                "ParameterArgumentTransformationError",
                "Cannot process argument transformation. Cannot convert the value to type "
                '"System.Management.Automation.ScriptBlock".',
                "ForEach-Object",
            )
        interp.run_in_scope(block, scope, item, streams.write_output)

    run(bound.get("Begin"), None)
    for item in items:
        interp.state.check_stop()
        if member is not None:
            _foreach_member(to_string(member), item, bound.get("ArgumentList"), streams)
        else:
            run(process, item)
    run(bound.get("End"), None)


def _foreach_member(name: str, item: Any, args: Any, streams: CommandStreams) -> None:
    if has_property(item, name) and args is None:
        value = property_value(item, name)
        streams.write_output(value)
        return
    try:
        arguments = args if isinstance(args, list) else ([] if args is None else [args])
        streams.write_output(members.invoke_method(item, name, arguments))
    except PSTerminatingError as error:
        if error.record.fq_error_id != "MethodNotFound":
            raise
        streams.write_error(
            ErrorRecord(
                f'The input name "{name}" cannot be resolved to a member.',
                "PropertyOrMethodNotFound,Microsoft.PowerShell.Commands.ForEachObjectCommand",
                ErrorCategory.InvalidArgument,
                "System.Management.Automation.PSArgumentException",
                target_object=item,
                activity="ForEach-Object",
            )
        )


# ----------------------------------------------------------------------------- Select-Object
_SELECT_SPECS = [
    ParamSpec("Property", position=0),
    ParamSpec("ExcludeProperty"),
    ParamSpec("ExpandProperty"),
    ParamSpec("First"),
    ParamSpec("Last"),
    ParamSpec("Skip"),
    ParamSpec("Unique", switch=True),
    ParamSpec("InputObject"),
    ParamSpec("Index"),
    ParamSpec("SkipLast"),
    ParamSpec("Wait", switch=True),
]
_SELECT = "Microsoft.PowerShell.Commands.SelectObjectCommand"


def _calculated(interp: Interpreter, spec: Hashtable) -> tuple[str, Callable[[Any, Scope], Any]]:
    name: str | None = None
    expression: Any = None
    for key, value in spec.items():
        k = key.lower()
        if k and ("name".startswith(k) or "label".startswith(k)):
            name = to_string(value)
        elif k and "expression".startswith(k):
            expression = value
        else:
            raise runtime_error(
                f"IllegalKey,{_SELECT}",
                f'The "{key}" key is not valid.',
                category=ErrorCategory.InvalidArgument,
            )
    if expression is None:
        raise runtime_error(
            f"MissingExpressionKey,{_SELECT}",
            "A hash table for a calculated property must have an Expression key.",
            category=ErrorCategory.InvalidArgument,
        )
    if isinstance(expression, ScriptBlockValue):
        block = expression

        def compute(item: Any, scope: Scope) -> Any:
            out: list[Any] = []
            interp.run_in_scope(block, Scope(scope), item, out.append)
            return None if not out else out[0] if len(out) == 1 else out

        return name or block.block.text.strip(), compute
    prop = to_string(expression)
    return name or prop, lambda item, _scope: property_value(item, prop)


def select_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Select-Object", _SELECT_SPECS, tokens, streams)
    for unsupported in ("Index", "SkipLast", "Wait"):
        if unsupported in bound:
            raise unsupported_runtime(f"Select-Object -{unsupported}")
    items = _items(input_objects, bound)
    skip = int(bound.get("Skip", 0) or 0)
    items = items[skip:]
    if "First" in bound:
        items = items[: int(bound["First"])]
    if "Last" in bound:
        last = int(bound["Last"])
        items = items[-last:] if last else []
    props = bound.get("Property")
    if props is None and "ExcludeProperty" in bound:
        props = ["*"]
    expand = bound.get("ExpandProperty")
    exclude = [to_string(x) for x in _as_list(bound.get("ExcludeProperty"))]
    results: list[Any] = []
    for item in items:
        interp.state.check_stop()
        if expand is not None:
            if props is not None:
                raise unsupported_runtime("Select-Object -ExpandProperty together with -Property")
            name = to_string(expand)
            if not has_property(item, name):
                streams.write_error(
                    ErrorRecord(
                        f'Property "{name}" cannot be found.',
                        f"ExpandPropertyNotFound,{_SELECT}",
                        ErrorCategory.InvalidArgument,
                        "System.Management.Automation.PSArgumentException",
                        target_object=item,
                        activity="Select-Object",
                    )
                )
                continue
            value = property_value(item, name)
            results.extend(value if isinstance(value, list | tuple) else [value])
        elif props is not None:
            results.append(_project(interp, scope, item, _as_list(props), exclude))
        else:
            results.append(item)
    if bound.get("Unique"):
        results = _unique(results)
    for result in results:
        streams.write_output([result] if isinstance(result, list | tuple) else result)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _project(interp: Interpreter, scope: Scope, item: Any, props: list[Any], exclude: list[str]) -> PSObject:
    out = PSObject(
        type_names=[
            f"Selected.{type_name(item)}",
            "System.Management.Automation.PSCustomObject",
            "System.Object",
        ]
    )
    excluded = [wildcard_regex(p, False) for p in exclude]
    for prop in props:
        if isinstance(prop, Hashtable):
            name, compute = _calculated(interp, prop)
            out.set(name, compute(item, scope))
            continue
        if isinstance(prop, ScriptBlockValue):
            name, compute = _calculated(interp, Hashtable({"Expression": prop}))
            out.set(name, compute(item, scope))
            continue
        pattern = to_string(prop)
        if any(ch in pattern for ch in "*?["):
            regex = wildcard_regex(pattern, False)
            for name in property_names(item):
                if regex.match(name) and not any(x.match(name) for x in excluded) and not out.has(name):
                    out.set(name, property_value(item, name))
        elif not any(x.match(pattern) for x in excluded):
            out.set(pattern, property_value(item, pattern))
    return out


def _identity(value: Any) -> str:
    if isinstance(value, PSObject):
        return "\x00".join(f"{k}={to_string(v).casefold()}" for k, v in value.properties.items())
    return f"{type_name(value)}:{to_string(value)}"


def _unique(items: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = _identity(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


# ------------------------------------------------------------------------------- Sort-Object
_SORT_SPECS = [
    ParamSpec("Property", position=0),
    ParamSpec("Descending", switch=True),
    ParamSpec("Unique", switch=True),
    ParamSpec("CaseSensitive", switch=True),
    ParamSpec("InputObject"),
    ParamSpec("Top"),
    ParamSpec("Bottom"),
    ParamSpec("Stable", switch=True),
]


def _key_functions(
    interp: Interpreter, scope: Scope, props: Any
) -> list[tuple[Callable[[Any], Any], bool | None]]:
    keys: list[tuple[Callable[[Any], Any], bool | None]] = []
    for prop in _as_list(props):
        descending: bool | None = None
        expression: Any = prop
        if isinstance(prop, Hashtable):
            expression = None
            for key, value in prop.items():
                k = key.lower()
                if k and "expression".startswith(k):
                    expression = value
                elif k and "descending".startswith(k):
                    descending = truthy(value)
                elif k and "ascending".startswith(k):
                    descending = not truthy(value)
                else:
                    raise runtime_error(
                        "IllegalKey", f'The "{key}" key is not valid.', category=ErrorCategory.InvalidArgument
                    )
        if isinstance(expression, ScriptBlockValue):
            block = expression

            def by_script(item: Any, block: ScriptBlockValue = block) -> Any:
                out = _script_result(interp, block, scope, item)
                return None if not out else out[0] if len(out) == 1 else out

            keys.append((by_script, descending))
        else:
            name = to_string(expression)
            keys.append((_property_getter(name), descending))
    return keys


def _property_getter(name: str) -> Callable[[Any], Any]:
    return lambda item: property_value(item, name)


def _safe_compare(a: Any, b: Any, case_sensitive: bool) -> int:
    try:
        return operators.compare(a, b, case_sensitive)
    except PSTerminatingError:
        x, y = to_string(a).casefold(), to_string(b).casefold()
        return (x > y) - (x < y)


def sort_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Sort-Object", _SORT_SPECS, tokens, streams)
    if "Top" in bound or "Bottom" in bound:
        raise unsupported_runtime("Sort-Object -Top/-Bottom")
    items = _items(input_objects, bound)
    descending = bool(bound.get("Descending"))
    cs = bool(bound.get("CaseSensitive"))
    keys = _key_functions(interp, scope, bound.get("Property")) or [(lambda item: item, None)]
    decorated = [([fn(item) for fn, _ in keys], item) for item in items]

    def cmp(a: tuple[list[Any], Any], b: tuple[list[Any], Any]) -> int:
        for (x, y), (_, desc) in zip(zip(a[0], b[0], strict=True), keys, strict=True):
            result = _safe_compare(x, y, cs)
            if result:
                flip = descending if desc is None else desc
                return -result if flip else result
        return 0

    decorated.sort(key=functools.cmp_to_key(cmp))
    out = [item for _, item in decorated]
    if bound.get("Unique"):
        unique: list[tuple[list[Any], Any]] = []
        for entry in decorated:
            if not unique or cmp(unique[-1], entry) != 0:
                unique.append(entry)
        out = [item for _, item in unique]
    for item in out:
        streams.write_output([item] if isinstance(item, list | tuple) else item)


# ------------------------------------------------------------------------------ Group-Object
_GROUP_SPECS = [
    ParamSpec("Property", position=0),
    ParamSpec("NoElement", switch=True),
    ParamSpec("AsHashTable", switch=True),
    ParamSpec("AsString", switch=True),
    ParamSpec("CaseSensitive", switch=True),
    ParamSpec("InputObject"),
]


def group_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Group-Object", _GROUP_SPECS, tokens, streams)
    if bound.get("AsHashTable") or bound.get("AsString"):
        raise unsupported_runtime("Group-Object -AsHashTable/-AsString")
    keys = _key_functions(interp, scope, bound.get("Property")) or [(lambda item: item, None)]
    cs = bool(bound.get("CaseSensitive"))
    groups: dict[str, tuple[str, list[Any], list[Any]]] = {}
    for item in _items(input_objects, bound):
        values = [fn(item) for fn, _ in keys]
        name = ", ".join(to_string(v) for v in values)
        key = name if cs else name.casefold()
        groups.setdefault(key, (name, values, []))[2].append(item)
    for name, values, members_ in groups.values():
        info = PSObject(type_names=["Microsoft.PowerShell.Commands.GroupInfo", "System.Object"])
        info.set("Count", len(members_))
        info.set("Name", name)
        if not bound.get("NoElement"):
            info.set("Group", members_)
        info.set("Values", values)
        streams.write_output(info)


# ---------------------------------------------------------------------------- Measure-Object
_MEASURE_SPECS = [
    ParamSpec("Property", position=0),
    ParamSpec("Sum", switch=True),
    ParamSpec("Average", switch=True),
    ParamSpec("Maximum", switch=True),
    ParamSpec("Minimum", switch=True),
    ParamSpec("InputObject"),
]


def measure_object(
    interp: Interpreter,
    scope: Scope,
    tokens: list[Token],
    input_objects: list[Any] | None,
    streams: CommandStreams,
) -> None:
    bound = bind("Measure-Object", _MEASURE_SPECS, tokens, streams)
    prop = bound.get("Property")
    if isinstance(prop, list):
        raise unsupported_runtime("Measure-Object with several properties")
    values = []
    for item in _items(input_objects, bound):
        if item is None:
            continue
        values.append(property_value(item, to_string(prop)) if prop is not None else item)
    info = PSObject(type_names=["Microsoft.PowerShell.Commands.GenericMeasureInfo", "System.Object"])
    info.set("Count", len(values))
    numbers = (
        [float(operators.to_number(v)) for v in values]
        if any(bound.get(k) for k in ("Sum", "Average", "Maximum", "Minimum"))
        else []
    )
    info.set("Average", (sum(numbers) / len(numbers) if numbers else None) if bound.get("Average") else None)
    info.set("Sum", sum(numbers) if bound.get("Sum") else None)
    info.set("Maximum", (max(numbers) if numbers else None) if bound.get("Maximum") else None)
    info.set("Minimum", (min(numbers) if numbers else None) if bound.get("Minimum") else None)
    info.set("Property", to_string(prop) if prop is not None else None)
    streams.write_output(info)
