"""Property: any mix of a cmdlet's parameters either binds to a set holding all of them, or fails
with one of the documented binding errors - never with another exception."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.sandbox.binding import ERROR_KINDS, ParameterBindingError, bind
from orchestrator.sandbox.catalog import CmdletSpec, ParameterSpec, load_catalog
from orchestrator.sandbox.conversions import Kind, classify
from orchestrator.sandbox.runtime import ArgumentValue, Hashtable, ParameterToken, PSObject, SecureString

CATALOG = load_catalog()
NAMES = CATALOG.names()
CREDENTIAL = PSObject({"UserName": "u"}, ["System.Management.Automation.PSCredential"])

PLAUSIBLE: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.BOOLEAN: st.booleans(),
    Kind.INTEGER: st.integers(0, 1000),
    Kind.DOUBLE: st.floats(0, 100, allow_nan=False),
    Kind.STRING: st.text("abc@.", min_size=1, max_size=8),
    Kind.GUID: st.uuids(),
    Kind.DATETIME: st.just(datetime(2024, 1, 31, tzinfo=UTC)),
    Kind.SECURESTRING: st.just(SecureString("pw")),
    Kind.CREDENTIAL: st.just(CREDENTIAL),
    Kind.UNLIMITED: st.sampled_from(["Unlimited", 10]),
    Kind.HASHTABLE: st.just(Hashtable({"a": 1})),
    Kind.IDENTITY: st.one_of(st.text("xyz", min_size=1, max_size=4), st.uuids()),
    Kind.GRAPH_MODEL: st.just(Hashtable({"skuId": "1"})),
    Kind.ENUM: st.sampled_from(["Stop", "Continue", "All"]),
    Kind.MULTIVALUED: st.lists(st.text("ab", min_size=1, max_size=3), max_size=2),
    Kind.PASSTHROUGH: st.text("pq", min_size=1, max_size=4),
}
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=5),
    st.just(uuid.UUID(int=1)),
    st.lists(st.integers(0, 3), max_size=3),
    st.just(Hashtable({"k": "v"})),
    st.just(PSObject({"Identity": "p"})),
)


def value_for(parameter: ParameterSpec) -> st.SearchStrategy[Any]:
    info = classify(parameter.type)
    plausible = PLAUSIBLE.get(info.kind, st.just("x"))
    if info.is_array:
        plausible = st.lists(plausible, max_size=2)
    return st.one_of(plausible, plausible, plausible, ANYTHING)  # mostly plausible, sometimes not


@st.composite
def invocations(draw: st.DrawFn) -> tuple[CmdletSpec, list[ParameterToken | ArgumentValue]]:
    spec = CATALOG[draw(st.sampled_from(NAMES))]
    names = sorted(spec.cloud_parameters)
    chosen = draw(st.lists(st.sampled_from(names), max_size=5, unique=True))
    args: list[ParameterToken | ArgumentValue] = []
    for name in chosen:
        parameter = spec.cloud_parameters[name]
        if parameter.switch and draw(st.booleans()):
            args.append(ParameterToken(name))
        elif draw(st.booleans()):
            args.append(ParameterToken(name, draw(value_for(parameter))))
        else:
            args.extend([ParameterToken(name), ArgumentValue(draw(value_for(parameter)))])
    for _ in range(draw(st.integers(0, 2))):
        args.insert(draw(st.integers(0, len(args))), ArgumentValue(draw(ANYTHING)))
    return spec, args


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invocations(), st.one_of(st.none(), st.lists(ANYTHING, max_size=2)))
def test_binding_succeeds_consistently_or_fails_with_a_documented_error(
    invocation: tuple[CmdletSpec, list[ParameterToken | ArgumentValue]], pipeline: list[Any] | None
) -> None:
    spec, args = invocation
    try:
        calls = bind(spec, args, pipeline_input=pipeline)
    except ParameterBindingError as error:
        record = error.record
        error_id, cmdlet = record.fq_error_id.split(",", 1)
        assert error_id in ERROR_KINDS and cmdlet == spec.name and record.activity == spec.name
        assert record.message
        return
    for call in calls:
        parameter_set = spec.cloud_set(call.parameter_set)
        for name in call.bound:
            parameter = spec.cloud_parameters[name]
            assert name == parameter.name  # canonical spelling
            assert parameter.is_common or name in parameter_set.members
        for required in parameter_set.required:
            assert required in call.bound
