"""Pipeline binding: the command line once, then each object ByValue / ByPropertyName."""

from __future__ import annotations

import uuid

import pytest

from orchestrator.sandbox.binding import (
    ParameterBindingError,
    PipelineInputBindingError,
    bind,
    bind_command_line,
    bind_pipeline_object,
    finish,
)
from orchestrator.sandbox.catalog import load_catalog
from orchestrator.sandbox.runtime import ArgumentValue, Hashtable, ParameterToken, PSObject, SwitchParameter

T = ParameterToken
V = ArgumentValue
MAILBOX = PSObject(
    {"Identity": "laura", "ExchangeGuid": uuid.uuid4()}, ["Deserialized.Mailbox"], adapted=True
)
NOT_BOUND = (
    "The input object cannot be bound to any parameters for the command either because the command does not "
    "take pipeline input or the input and its properties do not match any of "
    "the parameters that take pipeline input."
)


def spec(name: str):  # type: ignore[no-untyped-def]
    return load_catalog()[name]


def test_piped_mailbox_binds_identity_of_remove_mailbox() -> None:
    args = [T("PermanentlyDelete"), T("Confirm", False)]
    partial = bind_command_line(spec("Remove-Mailbox"), args, expects_pipeline_input=True)
    call = bind_pipeline_object(partial, MAILBOX)
    assert call.piped and call.parameter_set == "Default"
    assert call.bound == {
        "PermanentlyDelete": SwitchParameter(True),
        "Confirm": SwitchParameter(False),
        "Identity": MAILBOX,
    }
    second = bind_pipeline_object(partial, "other@contoso.com")  # each object starts from the command line
    assert second.bound["Identity"] == "other@contoso.com"


def test_object_that_binds_nothing_is_a_distinct_non_terminating_error() -> None:
    with pytest.raises(PipelineInputBindingError) as info:
        bind(spec("Get-MgContext"), [], pipeline_input=["x"])
    record = info.value.record
    assert record.message == NOT_BOUND
    assert record.fq_error_id == "InputObjectNotBound,Get-MgContext"
    assert record.target_object == "x"
    assert isinstance(info.value, ParameterBindingError)


def test_parameter_bound_on_command_line_cannot_take_the_object() -> None:
    partial = bind_command_line(spec("Remove-Mailbox"), [T("Identity"), V("x")], expects_pipeline_input=True)
    with pytest.raises(PipelineInputBindingError) as info:
        bind_pipeline_object(partial, MAILBOX)
    assert info.value.error_id == "InputObjectNotBound"


def test_by_property_name_uses_names_and_aliases() -> None:
    row = PSObject({"UserPrincipalName": "u@contoso.com", "Other": 1})
    call = bind(spec("Get-EXOMailbox"), [], pipeline_input=[row])[0]
    assert call.bound == {"UserPrincipalName": "u@contoso.com"} and call.parameter_set == "Identity"
    by_name = bind(spec("Set-Mailbox"), [T("LitigationHoldEnabled"), V(True)], pipeline_input=[MAILBOX])[0]
    assert by_name.bound["Identity"] == "laura"  # Set-Mailbox documents -Identity as ByPropertyName
    with pytest.raises(PipelineInputBindingError):
        bind(spec("Set-Mailbox"), [T("LitigationHoldEnabled"), V(True)], pipeline_input=["laura"])


def test_graph_by_value_prefers_exact_type() -> None:
    headers = Hashtable({"x-ms-client-request-id": "1"})
    call = bind(spec("Get-MgUser"), [T("UserId"), V("u")], pipeline_input=[headers])[0]
    assert call.bound == {"UserId": "u", "Headers": headers}
    identity = PSObject({"UserId": "u"})
    via_identity = bind(spec("Remove-MgUser"), [], pipeline_input=[identity])[0]
    assert via_identity.parameter_set == "DeleteViaIdentity" and via_identity.bound == {
        "InputObject": identity
    }


def test_missing_mandatory_after_pipeline_binding() -> None:
    partial = bind_command_line(
        spec("Set-MgUserLicense"), [T("AddLicenses"), V([])], expects_pipeline_input=True
    )
    with pytest.raises(PipelineInputBindingError) as info:
        bind_pipeline_object(partial, Hashtable({"a": 1}))  # binds -Headers, but no identity
    assert info.value.error_id in {"InputObjectMissingMandatory", "AmbiguousParameterSet"}


def test_mandatory_without_pipeline_parameter_fails_before_input() -> None:
    with pytest.raises(ParameterBindingError) as info:
        bind_command_line(
            spec("Get-MgUserLicenseDetail"), [T("LicenseDetailsId"), V("l")], expects_pipeline_input=True
        )
    assert not isinstance(info.value, PipelineInputBindingError)
    assert info.value.record.message == (
        "Cannot process command because of one or more missing mandatory parameters: UserId."
    )


def test_no_input_objects_means_no_calls_and_finish_without_pipeline() -> None:
    assert bind(spec("Remove-Mailbox"), [T("PermanentlyDelete")], pipeline_input=[]) == []
    partial = bind_command_line(spec("Get-Mailbox"), [V("x")], expects_pipeline_input=False)
    assert finish(partial).bound == {"Identity": "x"}
