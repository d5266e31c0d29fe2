"""PowerShell parameter binding against the catalog's cloud signatures.

Scripts rendered from our templates must fail in the sandbox exactly where they would fail against
Exchange Online or Graph, so this module follows PowerShell's own binder, in its phases:

1. **Reparse** (``_reparse``): resolve each ``-Name`` (exact name or alias, then unambiguous
   prefix; case-insensitive) and decide whether the next argument is its value (value parameters)
   or positional (switches).
2. **Named binding** (``_bind_named``): convert and bind each named argument in source order.
3. **Positional binding** (``_bind_positional``): the remaining arguments bind to the parameters
   with the lowest remaining position in the still-possible parameter sets.
4. **Parameter-set resolution and mandatory check** (``_resolve_set``).
5. **Pipeline binding** (``bind_pipeline_object``), once per input object: ByValue, then
   ByPropertyName, first without then with type coercion; then phase 4 again.

The rules, conversions, error texts and deliberate deviations are documented in
``docs/sandbox/binding.md``. Failures raise ``ParameterBindingError`` (a ``PSTerminatingError``);
per-object pipeline failures raise its subclass ``PipelineInputBindingError``, which the host
writes as a non-terminating error before moving on to the next input object, as PowerShell does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from orchestrator.sandbox.catalog import CmdletSpec, ParameterSetSpec, ParameterSpec
from orchestrator.sandbox.conversions import ConversionFailure, classify, convert, display, is_exact
from orchestrator.sandbox.runtime import (
    NO_VALUE,
    ArgumentValue,
    CmdletCall,
    ErrorCategory,
    ErrorRecord,
    ParameterToken,
    PSObject,
    PSTerminatingError,
    SwitchParameter,
)

__all__ = [
    "ParameterBindingError",
    "PartialBinding",
    "PipelineInputBindingError",
    "bind",
    "bind_command_line",
    "bind_pipeline_object",
    "check_static",
    "finish",
    "resolve_parameter",
]

_NS = "System.Management.Automation."
_BINDING = (ErrorCategory.InvalidArgument, _NS + "ParameterBindingException")
_VALIDATION = (ErrorCategory.InvalidData, _NS + "ParameterBindingValidationException")
# error id -> (category, exception type), as PowerShell's CategoryInfo shows them.
ERROR_KINDS: dict[str, tuple[ErrorCategory, str]] = {
    "NamedParameterNotFound": _BINDING,
    "AmbiguousParameter": _BINDING,
    "ParameterAlreadyBound": _BINDING,
    "MissingArgument": _BINDING,
    "PositionalParameterNotFound": _BINDING,
    "AmbiguousParameterSet": _BINDING,
    "MissingMandatoryParameter": _BINDING,
    "CannotConvertArgument": _BINDING,
    "CannotConvertArgumentNoMessage": _BINDING,
    "InputObjectNotBound": _BINDING,
    "InputObjectMissingMandatory": _BINDING,
    "ParameterArgumentTransformationError": (
        ErrorCategory.InvalidData,
        _NS + "ParameterBindingArgumentTransformationException",
    ),
    "ParameterArgumentValidationError": _VALIDATION,
    "ParameterArgumentValidationErrorNullNotAllowed": _VALIDATION,
    "ParameterArgumentValidationErrorEmptyStringNotAllowed": _VALIDATION,
    "ParameterArgumentValidationErrorEmptyArrayNotAllowed": _VALIDATION,
}


class ParameterBindingError(PSTerminatingError):
    """PowerShell refused the command's arguments; ``record`` holds its exact error record."""

    @property
    def error_id(self) -> str:
        return self.record.fq_error_id.split(",", 1)[0]


class PipelineInputBindingError(ParameterBindingError):
    """One pipeline object could not be bound: non-terminating, the next object is still tried."""


def _error(
    cmdlet: str,
    error_id: str,
    message: str,
    *,
    target: Any = None,
    pipeline: bool = False,
) -> ParameterBindingError:
    category, exception_type = ERROR_KINDS[error_id]
    record = ErrorRecord(
        message=message,
        fq_error_id=f"{error_id},{cmdlet}",  # EXO V3 cmdlets are functions: the name follows
        category=category,
        exception_type=exception_type,
        target_object=target,
        activity=cmdlet,
    )
    return (PipelineInputBindingError if pipeline else ParameterBindingError)(record)


# --- phase 1: names -------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _name_index(spec: CmdletSpec) -> tuple[dict[str, ParameterSpec], tuple[tuple[str, ParameterSpec], ...]]:
    exact: dict[str, ParameterSpec] = {}
    entries: list[tuple[str, ParameterSpec]] = []
    for parameter in spec.cloud_parameters.values():
        for name in (parameter.name, *parameter.aliases):
            exact.setdefault(name.lower(), parameter)
            entries.append((name.lower(), parameter))
    return exact, tuple(entries)


def resolve_parameter(spec: CmdletSpec, written: str) -> ParameterSpec:
    """Resolve ``-written``: exact name or alias, else an unambiguous prefix (case-insensitive).

    A documented on-premises-only name (or alias) is reported as not found even when it is the
    prefix of a cloud parameter (``-Permanent`` vs ``-PermanentlyDelete``): see binding.md.
    """
    key = written.lower()
    exact, entries = _name_index(spec)
    if key in exact:
        return exact[key]
    if key not in spec.onprem_names:
        matches: list[ParameterSpec] = []
        for name, parameter in entries:
            if name.startswith(key) and parameter not in matches:
                matches.append(parameter)
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = " ".join(f"-{p.name}" for p in matches)
            message = (
                f"Parameter cannot be processed because the parameter name '{written}' is ambiguous. "
                f"Possible matches include: {names}."
            )
            raise _error(spec.name, "AmbiguousParameter", message)
    message = f"A parameter cannot be found that matches parameter name '{written}'."
    raise _error(spec.name, "NamedParameterNotFound", message)


@dataclass(frozen=True)
class _Named:
    parameter: ParameterSpec
    value: Any
    switch_form: bool | None  # None: unknown (check_static), no constraint on per-set forms


def _reparse(
    spec: CmdletSpec, args: Sequence[ParameterToken | ArgumentValue]
) -> tuple[list[_Named], list[Any]]:
    """Split arguments into named ones (with their values) and positional ones."""
    named: list[_Named] = []
    positional: list[Any] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if isinstance(arg, ArgumentValue):
            positional.append(arg.value)
            continue
        parameter = resolve_parameter(spec, arg.name)
        following = args[index] if index < len(args) else None
        if arg.value is not NO_VALUE:  # -Name:value is always the parameter's own
            as_switch = parameter.switch and (
                not parameter.value_optional or isinstance(arg.value, bool | SwitchParameter)
            )
            named.append(_Named(parameter, arg.value, as_switch))
        elif parameter.switch and not (parameter.value_optional and isinstance(following, ArgumentValue)):
            named.append(_Named(parameter, SwitchParameter(True), True))
        elif isinstance(following, ArgumentValue):
            named.append(_Named(parameter, following.value, False))
            index += 1
        else:
            type_name = classify(parameter.type).dotnet_name
            message = (
                f"Missing an argument for parameter '{parameter.name}'. "
                f"Specify a parameter of type '{type_name}' and try again."
            )
            raise _error(spec.name, "MissingArgument", message)
    return named, positional


# --- phase 2 and 3: named and positional binding --------------------------------------------------


def _is_mandatory_somewhere(spec: CmdletSpec, name: str) -> bool:
    return any(m.required for s in spec.cloud_sets if (m := s.members.get(name)) is not None)


def _convert(
    spec: CmdletSpec, parameter: ParameterSpec, value: Any, switch_form: bool, *, pipeline: bool
) -> Any:
    type_name = "SwitchParameter" if switch_form else parameter.type
    try:
        return convert(
            parameter.name,
            type_name,
            value,
            mandatory=_is_mandatory_somewhere(spec, parameter.name),
            accepted_values=parameter.accepted_values,
        )
    except ConversionFailure as failure:
        raise _error(spec.name, failure.error_id, failure.message, target=value, pipeline=pipeline) from None


def _admits(parameter_set: ParameterSetSpec, parameter: ParameterSpec, switch_form: bool | None) -> bool:
    """Whether ``parameter`` (bound in ``switch_form``) can be in ``parameter_set``."""
    if parameter.is_common and parameter.name not in parameter_set.members:
        return True
    member = parameter_set.members.get(parameter.name)
    if member is None:
        return False
    return member.switch is None or switch_form is None or member.switch == switch_form


def _narrow(
    sets: Sequence[ParameterSetSpec], parameter: ParameterSpec, switch_form: bool | None
) -> tuple[ParameterSetSpec, ...]:
    return tuple(s for s in sets if _admits(s, parameter, switch_form))


def _ambiguous_set(spec: CmdletSpec, *, pipeline: bool = False) -> ParameterBindingError:
    message = (
        "Parameter set cannot be resolved using the specified named parameters. One or more parameters "
        "issued cannot be used together or an insufficient number of parameters were provided."
    )
    return _error(spec.name, "AmbiguousParameterSet", message, pipeline=pipeline)


@dataclass
class PartialBinding:
    """The command line bound; what pipeline objects are bound on top of (one per command)."""

    spec: CmdletSpec
    bound: dict[str, Any]
    candidates: tuple[ParameterSetSpec, ...]
    expects_pipeline_input: bool
    switch_forms: dict[str, bool] = field(default_factory=dict)


def _bind_named(spec: CmdletSpec, named: Sequence[_Named], convert_values: bool) -> PartialBinding:
    partial = PartialBinding(spec, {}, spec.cloud_sets, False)
    for item in named:
        name = item.parameter.name
        if name in partial.bound:
            message = (
                f"Cannot bind parameter because parameter '{name}' is specified more than once. To provide "
                "multiple values to parameters that can accept multiple values, use the array syntax. For "
                'example, "-parameter value1,value2,value3".'
            )
            raise _error(spec.name, "ParameterAlreadyBound", message)
        value = item.value
        if convert_values:
            value = _convert(spec, item.parameter, item.value, bool(item.switch_form), pipeline=False)
        partial.bound[name] = value
        form = item.switch_form if item.parameter.value_optional else None
        if form is not None:
            partial.switch_forms[name] = form
        partial.candidates = _narrow(partial.candidates, item.parameter, form)
    if not partial.candidates:
        raise _ambiguous_set(spec)
    return partial


def _ordered(partial: PartialBinding) -> list[ParameterSetSpec]:
    """Candidate sets with the default set first, as PowerShell tries them."""
    default = [s for s in partial.candidates if s.name == partial.spec.default_set]
    return default + [s for s in partial.candidates if s.name != partial.spec.default_set]


def _bind_positional(
    partial: PartialBinding,
    positional: Sequence[Any],
    try_bind: Callable[[ParameterSpec, Any], Any],
) -> None:
    """Bind each positional argument to the next position that a still-possible set offers."""
    spec = partial.spec
    last: int | None = None
    for value in positional:
        while True:
            open_positions = sorted(
                position
                for s in partial.candidates
                for position, name in s.positional()
                if name not in partial.bound
                and not spec.parameter(name).switch
                and (last is None or position > last)
            )
            if not open_positions:
                message = f"A positional parameter cannot be found that accepts argument '{display(value)}'."
                raise _error(spec.name, "PositionalParameterNotFound", message, target=value)
            last = open_positions[0]
            names: list[str] = []
            for s in _ordered(partial):
                for position, name in s.positional():
                    fits = position == last and name not in partial.bound and name not in names
                    if fits and not spec.parameter(name).switch:
                        names.append(name)
            if _bind_first(partial, names, value, try_bind):
                break


def _bind_first(
    partial: PartialBinding, names: Sequence[str], value: Any, try_bind: Callable[[ParameterSpec, Any], Any]
) -> bool:
    """Bind ``value`` to the first of ``names`` that accepts it; raise the first failure if none does."""
    first_failure: ParameterBindingError | None = None
    for name in names:
        parameter = partial.spec.parameter(name)
        try:
            partial.bound[name] = try_bind(parameter, value)
        except ParameterBindingError as failure:
            first_failure = first_failure or failure
            continue
        partial.candidates = _narrow(partial.candidates, parameter, None)
        return True
    if first_failure is not None:
        raise first_failure
    return False


# --- phase 4: parameter sets and mandatory parameters --------------------------------------------


def _missing(
    spec: CmdletSpec, parameter_set: ParameterSetSpec, bound: dict[str, Any], pending: bool
) -> list[str]:
    return [
        name
        for name in parameter_set.required
        if name not in bound and not (pending and spec.parameter(name).pipeline)
    ]


def _not_asked_for(parameter_set: ParameterSetSpec, bound: dict[str, Any]) -> bool:
    """Whether ``parameter_set`` is named after one of its own parameters that is not bound.

    Such a set is *defined* by that parameter (Set-Mailbox ``RemoveDelayHoldApplied`` by
    ``-RemoveDelayHoldApplied``): the cmdlet's metadata makes it mandatory there, but the docs'
    SYNTAX shows several of them optional and the catalog's "less strict" merge kept that, so a
    command line that does not bind it did not ask for that set (see binding.md, set resolution).
    """
    key = parameter_set.name.lower()
    for name in parameter_set.members:
        if name.lower() == key:
            return name not in bound
    return False


def _choose_set(partial: PartialBinding, pending: bool, *, pipeline: bool = False) -> ParameterSetSpec:
    """Sets holding every bound parameter; prefer one whose mandatory parameters are all bound,
    then the default set, then one not defined by an unbound parameter; with no documented
    default, the tie-break described in binding.md."""
    spec, candidates = partial.spec, partial.candidates
    if not candidates:
        raise _ambiguous_set(spec, pipeline=pipeline)
    if len(candidates) == 1:
        return candidates[0]
    satisfied = [s for s in candidates if not _missing(spec, s, partial.bound, pending)]
    if len(satisfied) == 1:
        return satisfied[0]
    pool = satisfied or list(candidates)
    for parameter_set in pool:
        if parameter_set.name == spec.default_set:
            return parameter_set
    asked = [s for s in pool if not _not_asked_for(s, partial.bound)]
    if len(asked) == 1:
        return asked[0]
    if spec.default_set is not None and not spec.default_set_inferred:
        if asked or not satisfied:
            raise _ambiguous_set(spec, pipeline=pipeline)
        # Every complete set is a specialised one whose defining parameter was not given: the
        # bound parameters are the ones they all share, so none of them was asked for and the
        # choice cannot change the command's meaning. The docs omit the set that holds them
        # (the service accepts the command); report the first in documentation order.
        return satisfied[0]
    # No documented default (Exchange docs do not publish it): a set named after a parameter is
    # the one that parameter selects (-Archive, -PublicFolder, -InactiveMailbox, ...).
    parameter_names = {name.lower() for name in spec.parameters}
    bound = {name.lower() for name in partial.bound}
    selected = [s for s in pool if s.name.lower() in bound]
    unselected = [s for s in pool if s.name.lower() not in parameter_names]
    return (selected or unselected or pool)[0]


def _resolve_set(partial: PartialBinding, *, pending: bool, pipeline: bool = False) -> ParameterSetSpec:
    chosen = _choose_set(partial, pending, pipeline=pipeline)
    missing = _missing(partial.spec, chosen, partial.bound, pending)
    if missing:
        names = " ".join(missing)
        if pipeline:
            message = (
                "The input object cannot be bound because it did not contain the information required to "
                f"bind all mandatory parameters: {names}"
            )
            raise _error(partial.spec.name, "InputObjectMissingMandatory", message, pipeline=True)
        message = f"Cannot process command because of one or more missing mandatory parameters: {names}."
        raise _error(partial.spec.name, "MissingMandatoryParameter", message)
    return chosen


# --- public API ----------------------------------------------------------------------------------


def bind_command_line(
    spec: CmdletSpec,
    args: Sequence[ParameterToken | ArgumentValue],
    *,
    expects_pipeline_input: bool,
) -> PartialBinding:
    """Bind the command's own arguments (phases 1-4). With pipeline input expected, mandatory
    parameters that take pipeline input count as satisfied and the set stays open."""
    named, positional = _reparse(spec, args)
    partial = _bind_named(spec, named, convert_values=True)
    _bind_positional(partial, positional, lambda p, v: _convert(spec, p, v, False, pipeline=False))
    partial.expects_pipeline_input = expects_pipeline_input
    if expects_pipeline_input and any(not _missing(spec, s, partial.bound, True) for s in partial.candidates):
        return partial  # some set can still be completed from the pipeline: decide per object
    partial.candidates = (_resolve_set(partial, pending=expects_pipeline_input),)
    return partial


def finish(partial: PartialBinding) -> CmdletCall:
    """The call for a command that gets no pipeline input."""
    chosen = _resolve_set(partial, pending=False)
    return CmdletCall(partial.spec.name, dict(partial.bound), chosen.name, piped=False)


def _pipeline_parameters(partial: PartialBinding, bound: dict[str, Any]) -> list[ParameterSpec]:
    seen: list[ParameterSpec] = []
    for parameter_set in _ordered(partial):
        for name in parameter_set.members:
            parameter = partial.spec.parameter(name)
            if parameter.pipeline and name not in bound and parameter not in seen:
                seen.append(parameter)
    return seen


def _property(obj: Any, parameter: ParameterSpec) -> tuple[bool, Any]:
    if not isinstance(obj, PSObject):
        return False, None
    for name in (parameter.name, *parameter.aliases):
        if obj.has(name):
            return True, obj.get(name)
    return False, None


def bind_pipeline_object(partial: PartialBinding, obj: Any) -> CmdletCall:
    """Bind one pipeline object on top of the command line (phase 5), then resolve the set.

    Raises ``PipelineInputBindingError`` when the object binds to nothing (InputObjectNotBound) or
    leaves the call incomplete; the host reports it and continues with the next object.
    """
    spec = partial.spec
    state = PartialBinding(spec, dict(partial.bound), partial.candidates, True, dict(partial.switch_forms))

    def attempt(parameter: ParameterSpec, value: Any, exact: bool) -> bool:
        if parameter.name in state.bound or not _narrow(state.candidates, parameter, None):
            return False
        if exact and not is_exact(parameter.type, value):
            return False
        try:
            state.bound[parameter.name] = _convert(spec, parameter, value, False, pipeline=True)
        except ParameterBindingError:
            return False
        state.candidates = _narrow(state.candidates, parameter, None)
        return True

    for exact in (True, False):  # without coercion first; coercion only if that bound nothing
        candidates = _pipeline_parameters(state, state.bound)
        any(attempt(p, obj, exact) for p in candidates if p.by_value)  # ByValue binds one parameter
        for parameter in candidates:
            found, value = _property(obj, parameter)
            if parameter.by_property_name and found:
                attempt(parameter, value, exact)
        if len(state.bound) > len(partial.bound):
            break
    if len(state.bound) == len(partial.bound):
        message = (
            "The input object cannot be bound to any parameters for the command either because the command "
            "does not take pipeline input or the input and its properties do not match any of the parameters "
            "that take pipeline input."
        )
        raise _error(spec.name, "InputObjectNotBound", message, target=obj, pipeline=True)
    chosen = _resolve_set(state, pending=False, pipeline=True)
    return CmdletCall(spec.name, state.bound, chosen.name, piped=True)


def bind(
    spec: CmdletSpec,
    args: Sequence[ParameterToken | ArgumentValue],
    *,
    pipeline_input: Sequence[Any] | None = None,
) -> list[CmdletCall]:
    """Convenience: one call without pipeline input, or one per input object (raising at the
    first object that fails; hosts that continue past such objects use the step functions)."""
    partial = bind_command_line(spec, args, expects_pipeline_input=pipeline_input is not None)
    if pipeline_input is None:
        return [finish(partial)]
    return [bind_pipeline_object(partial, obj) for obj in pipeline_input]


def check_static(
    spec: CmdletSpec,
    parameter_names: Sequence[str],
    *,
    positional_count: int = 0,
    piped: bool = False,
) -> str:
    """For a template linter: names only, values unknown. Runs phases 1-4 without conversions
    (so no MissingArgument or conversion errors) and returns the resolved parameter set name."""
    named = [_Named(resolve_parameter(spec, name), None, None) for name in parameter_names]
    partial = _bind_named(spec, named, convert_values=False)
    placeholders = [f"<positional argument {i + 1}>" for i in range(positional_count)]
    _bind_positional(partial, placeholders, lambda p, v: v)
    return _resolve_set(partial, pending=piped).name
