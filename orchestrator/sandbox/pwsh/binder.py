"""Parameter binding for script ``param()`` blocks, functions and the evaluator's built-ins.

Simulated cmdlets are bound by ``sandbox.binding`` (from cmdlets.json); this module binds what
the evaluator itself owns, with PowerShell's rules: named parameters by full name or unique
prefix, then positionals in declaration order (switches never positional), type conversion with
the strict ``[bool]``/``[switch]`` rule, validation attributes, then mandatory checks. Errors carry
PowerShell's texts and FullyQualifiedErrorIds (``<ErrorId>,<Command>``; the bare id for a script).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.pwsh.conversions import convert, to_string
from orchestrator.sandbox.pwsh.errors import (
    TRANSFORM_EXCEPTION,
    VALIDATION_EXCEPTION,
    binding_error,
    unsupported_runtime,
)
from orchestrator.sandbox.pwsh.operators import compare
from orchestrator.sandbox.pwsh.values import type_name
from orchestrator.sandbox.runtime import (
    NO_VALUE,
    ArgumentValue,
    ErrorCategory,
    ParameterToken,
    PSTerminatingError,
    SecureString,
    SwitchParameter,
)

Token = ParameterToken | ArgumentValue

#: common parameters (canonical name -> aliases) every advanced function and built-in accepts
COMMON_PARAMETERS: dict[str, tuple[str, ...]] = {
    "ErrorAction": ("ea",),
    "WarningAction": ("wa",),
    "InformationAction": ("infa",),
    "ErrorVariable": ("ev",),
    "WarningVariable": ("wv",),
    "InformationVariable": ("iv",),
    "OutVariable": ("ov",),
    "OutBuffer": ("ob",),
    "PipelineVariable": ("pv",),
    "Verbose": ("vb",),
    "Debug": ("db",),
}
_COMMON_SWITCHES = {"Verbose", "Debug"}


@dataclass
class ParamSpec:
    """One parameter as the binder sees it (built from a ``ParamDecl`` or a built-in's table)."""

    name: str
    type_name: str | None = None
    switch: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    decl: ast.ParamDecl | None = None


@dataclass
class BindResult:
    bound: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)
    unbound_args: list[Any] = field(default_factory=list)


def _match(name: str, specs: Sequence[ParamSpec], command: str) -> ParamSpec | None:
    lowered = name.lower()
    for spec in specs:
        if spec.name.lower() == lowered or lowered in (a.lower() for a in spec.aliases):
            return spec
    candidates = [spec for spec in specs if spec.name.lower().startswith(lowered)]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        names = " ".join("-" + c.name for c in candidates)
        raise binding_error(
            "AmbiguousParameter",
            f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
            f"Possible matches include: {names}.",
            command,
        )
    return None


def _common_specs() -> list[ParamSpec]:
    return [
        ParamSpec(name, switch=name in _COMMON_SWITCHES, aliases=aliases)
        for name, aliases in COMMON_PARAMETERS.items()
    ]


def bind_tokens(
    specs: Sequence[ParamSpec],
    tokens: Sequence[Token],
    command: str,
    *,
    advanced: bool,
) -> BindResult:
    """Assign tokens to parameters (no conversion yet). ``advanced`` rejects unknown names."""
    result = BindResult()
    positionals: list[Any] = []
    common = _common_specs() if advanced else []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if isinstance(token, ArgumentValue):
            positionals.append(token.value)
            continue
        spec = _match(token.name, specs, command)
        target = result.bound
        if spec is None and advanced:
            spec = _match(token.name, common, command)
            target = result.common
        if spec is None:
            if advanced:
                raise binding_error(
                    "NamedParameterNotFound",
                    f"A parameter cannot be found that matches parameter name '{token.name}'.",
                    command,
                    target=token.name,
                )
            positionals.append(token.text or f"-{token.name}")
            if token.value is not NO_VALUE:
                positionals.append(token.value)
            continue
        if spec.name in target:
            raise binding_error(
                "ParameterAlreadyBound",
                f"Cannot bind parameter because parameter '{spec.name}' is specified more than "
                "once. To provide "
                "multiple values to parameters that can accept multiple values, use the array syntax. For "
                'example, "-parameter value1,value2,value3".',
                command,
            )
        if token.value is not NO_VALUE:
            target[spec.name] = token.value
        elif spec.switch:
            target[spec.name] = SwitchParameter(True)
        elif i < len(tokens) and isinstance(tokens[i], ArgumentValue):
            next_token = tokens[i]
            assert isinstance(next_token, ArgumentValue)
            target[spec.name] = next_token.value
            i += 1
        else:
            shown = spec.type_name or "System.Object"
            raise binding_error(
                "MissingArgument",
                f"Missing an argument for parameter '{spec.name}'. Specify a parameter of type "
                f"'{shown}' and try again.",
                command,
            )
    explicit = [s for s in specs if s.position is not None]
    if explicit:
        order = sorted(explicit, key=lambda s: s.position or 0)
    else:
        order = [s for s in specs if not s.switch]
    for spec in order:
        if not positionals:
            break
        if spec.name in result.bound or spec.switch:
            continue
        result.bound[spec.name] = positionals.pop(0)
    if positionals:
        if advanced:
            raise binding_error(
                "PositionalParameterNotFound",
                f"A positional parameter cannot be found that accepts argument "
                f"'{to_string(positionals[0])}'.",
                command,
                target=positionals[0],
            )
        result.unbound_args = positionals
    return result


# ------------------------------------------------------------------------ conversion + checks
def _transform_error(param: str, message: str, command: str) -> PSTerminatingError:
    return binding_error(
        "ParameterArgumentTransformationError",
        f"Cannot process argument transformation on parameter '{param}'. {message}",
        command,
        exception_type=TRANSFORM_EXCEPTION,
        category=ErrorCategory.InvalidData,
    )


def _validation_error(error_id: str, message: str, command: str) -> PSTerminatingError:
    return binding_error(
        error_id, message, command, exception_type=VALIDATION_EXCEPTION, category=ErrorCategory.InvalidData
    )


def convert_argument(param: str, value: Any, target: str | None, command: str) -> Any:
    """Binding conversion: like a cast, but ``[bool]``/``[switch]`` only take Booleans and numbers."""
    if target is None or target == "System.Object":
        return value
    if target in ("System.Boolean", "System.Management.Automation.SwitchParameter"):
        if isinstance(value, bool | SwitchParameter) or (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            flag = bool(value)
            return SwitchParameter(flag) if target.endswith("SwitchParameter") else flag
        if value is None and target.endswith("SwitchParameter"):
            return SwitchParameter(False)
        shown = type_name(value) if value is not None else ""
        raise _transform_error(
            param,
            f'Cannot convert value "{shown}" to type "{target}". Boolean parameters accept only '
            "Boolean values "
            "and numbers, such as $True, $False, 1 or 0.",
            command,
        )
    if target == "System.Security.SecureString" and value is not None and not isinstance(value, SecureString):
        raise _transform_error(
            param,
            f'Cannot convert the "{to_string(value)}" value of type "{type_name(value)}" to type "{target}".',
            command,
        )
    try:
        return convert(value, target)
    except PSTerminatingError as error:
        raise _transform_error(param, error.record.message, command) from None


def validate(decl: ast.ParamDecl, value: Any, command: str) -> None:
    """Mandatory null/empty checks and the Validate* attributes, with PowerShell's messages."""
    name = decl.name
    items = value if isinstance(value, list | tuple) else [value]
    if decl.mandatory:
        if value is None and not decl.allow_null:
            raise _validation_error(
                "ParameterArgumentValidationErrorNullNotAllowed",
                f"Cannot bind argument to parameter '{name}' because it is null.",
                command,
            )
        if value == "" and not decl.allow_empty_string:
            raise _validation_error(
                "ParameterArgumentValidationErrorEmptyStringNotAllowed",
                f"Cannot bind argument to parameter '{name}' because it is an empty string.",
                command,
            )
        if isinstance(value, list | tuple):
            if not value and not decl.allow_empty_collection:
                raise _validation_error(
                    "ParameterArgumentValidationErrorEmptyArrayNotAllowed",
                    f"Cannot bind argument to parameter '{name}' because it is an empty array.",
                    command,
                )
            if any(item is None for item in value) and not decl.allow_null:
                raise _validation_error(
                    "ParameterArgumentValidationErrorNullNotAllowedInCollection",
                    f"Cannot bind argument to parameter '{name}' because it is an empty collection "
                    "or contains "
                    "a null value.",
                    command,
                )
            if any(item == "" for item in value) and not decl.allow_empty_string:
                raise _validation_error(
                    "ParameterArgumentValidationErrorEmptyStringNotAllowed",
                    f"Cannot bind argument to parameter '{name}' because it is an empty string.",
                    command,
                )
    prefix = f"Cannot validate argument on parameter '{name}'. "
    if decl.validate_not_null_or_empty:
        if value is None or value == "" or (isinstance(value, list | tuple) and not value):
            raise _validation_error(
                "ParameterArgumentValidationError",
                prefix
                + "The argument is null or empty. Provide an argument that is not null or empty, and then "
                "try the command again.",
                command,
            )
        if isinstance(value, list | tuple) and any(item is None or item == "" for item in value):
            raise _validation_error(
                "ParameterArgumentValidationError",
                prefix
                + "The argument is null, empty, or an element of the argument collection contains a null "
                "value. Supply a collection that does not contain any null values and then try the "
                "command again.",
                command,
            )
    if decl.validate_set is not None:
        allowed = {v.casefold() for v in decl.validate_set}
        for item in items:
            if to_string(item).casefold() not in allowed:
                raise _validation_error(
                    "ParameterArgumentValidationError",
                    prefix
                    + f'The argument "{to_string(item)}" does not belong to the set "'
                    + ",".join(decl.validate_set)
                    + '" specified by the ValidateSet attribute. Supply an argument that is in the '
                    "set and then "
                    "try the command again.",
                    command,
                )
    if decl.validate_range is not None:
        low, high = decl.validate_range
        for item in items:
            if compare(item, low) < 0:
                raise _validation_error(
                    "ParameterArgumentValidationError",
                    prefix + f"The {to_string(item)} argument is less than the minimum allowed range of "
                    f"{to_string(low)}. Supply an argument that is greater than or equal to "
                    f"{to_string(low)} and "
                    "then try the command again.",
                    command,
                )
            if compare(item, high) > 0:
                raise _validation_error(
                    "ParameterArgumentValidationError",
                    prefix + f"The {to_string(item)} argument is greater than the maximum allowed range of "
                    f"{to_string(high)}. Supply an argument that is less than or equal to "
                    f"{to_string(high)} and "
                    "then try the command again.",
                    command,
                )


def specs_for(block: ast.ScriptBlock) -> list[ParamSpec]:
    return [
        ParamSpec(
            d.name,
            type_name=d.type_name,
            switch=d.type_name == "System.Management.Automation.SwitchParameter",
            position=d.position,
            decl=d,
        )
        for d in block.params or []
    ]


def bind_script_block(
    block: ast.ScriptBlock,
    tokens: Sequence[Token],
    command: str,
    evaluate_default: Callable[[ast.Expr], Any],
    assign: Callable[[str, Any], None],
) -> BindResult:
    """Bind, convert and validate a param() block; ``assign`` sets each variable, in order.

    Defaults are evaluated after the bound parameters are assigned, in declaration order, so a
    default may refer to an earlier parameter (as in PowerShell).
    """
    specs = specs_for(block)
    result = bind_tokens(specs, tokens, command, advanced=block.advanced)
    for key in result.common:
        if key not in ("ErrorAction", "WarningAction", "Verbose", "Debug", "InformationAction"):
            raise unsupported_runtime(f"the common parameter -{key} on a script or function")
    missing = [
        s.name for s in specs if s.decl is not None and s.decl.mandatory and s.name not in result.bound
    ]
    if missing:
        raise binding_error(
            "MissingMandatoryParameter",
            "Cannot process command because of one or more missing mandatory parameters: "
            + " ".join(missing)
            + ".",
            command,
        )
    for spec in specs:
        decl = spec.decl
        assert decl is not None
        if spec.name in result.bound:
            value = convert_argument(spec.name, result.bound[spec.name], spec.type_name, command)
            validate(decl, value, command)
            result.bound[spec.name] = value
            assign(spec.name, value)
    for spec in specs:
        decl = spec.decl
        assert decl is not None
        if spec.name in result.bound:
            continue
        default = evaluate_default(decl.default) if decl.default is not None else None
        if spec.type_name is not None:
            default = convert(default, spec.type_name)
        assign(spec.name, default)
    return result
