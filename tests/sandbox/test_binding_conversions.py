"""Conversions per catalog type: what is accepted, its bound form, and PowerShell's refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrator.sandbox.conversions import UNLIMITED, ConversionFailure, Kind, classify, convert, is_exact
from orchestrator.sandbox.runtime import Hashtable, PSObject, SecureString, SwitchParameter

GUID = uuid.UUID("6a1f1a4e-0d3b-4f9c-9e6b-2c4d7f1e8a90")
MAILBOX = PSObject({"Identity": "x"})

ACCEPTED: list[tuple[str | None, Any, Any]] = [
    ("String", 5, "5"),
    ("System.String", True, "True"),
    ("System.String", GUID, str(GUID)),
    ("String", ["only"], "only"),
    ("String[]", "a", ["a"]),
    ("System.String[]", ["a", 1], ["a", "1"]),
    ("Boolean", 1, True),
    ("System.Boolean", SwitchParameter(False), False),
    ("SwitchParameter", 0, SwitchParameter(False)),
    ("Int32", "  42 ", 42),
    ("System.Int32", "0x10", 16),
    ("Int32", 2.5, 2),
    ("Int32", True, 1),
    ("UInt32", "7", 7),
    ("Int64", 2**40, 2**40),
    ("System.Double", "1.5", 1.5),
    ("Guid", str(GUID).upper(), GUID),
    ("Guid", "{" + str(GUID) + "}", GUID),
    ("DateTime", "2024-01-31", datetime(2024, 1, 31, tzinfo=UTC)),
    ("System.DateTime", "01/31/2024 10:00:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
    ("Unlimited", "UNLIMITED", UNLIMITED),
    ("Unlimited", 0, 0),
    ("MailboxIdParameter", GUID, GUID),
    ("MailboxIdParameter", MAILBOX, MAILBOX),
    ("SmtpAddress", "a@contoso.com", "a@contoso.com"),
    ("WindowsLiveId", "a@contoso.com", "a@contoso.com"),
    ("MultiValuedProperty", "a", ["a"]),
    ("MultiValuedProperty", Hashtable({"Add": "x"}), Hashtable({"Add": "x"})),
    ("System.Collections.Hashtable", {"a": 1}, Hashtable({"a": 1})),
    ("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphAssignedLicense[]", [], []),
    ("PropertySet[]", "minimum", ["Minimum"]),
    ("System.Management.Automation.ActionPreference", 1, "Stop"),
    ("Fqdn", "dc1.contoso.com", "dc1.contoso.com"),
    (None, Hashtable({"a": 1}), Hashtable({"a": 1})),
    ("SecureString", SecureString("s"), SecureString("s")),
]


@pytest.mark.parametrize(("type_name", "value", "expected"), ACCEPTED)
def test_accepted_values(type_name: str | None, value: Any, expected: Any) -> None:
    assert convert("P", type_name, value) == expected


REFUSED: list[tuple[str, Any, str]] = [
    ("Boolean", "true", "ParameterArgumentTransformationError"),
    ("Boolean", [True], "ParameterArgumentTransformationError"),
    ("Int32", "1e", "CannotConvertArgumentNoMessage"),
    ("UInt32", -1, "CannotConvertArgumentNoMessage"),
    ("Int32", GUID, "CannotConvertArgumentNoMessage"),
    ("Guid", 5, "CannotConvertArgumentNoMessage"),
    ("DateTime", "not a date", "CannotConvertArgumentNoMessage"),
    ("Unlimited", -5, "CannotConvertArgumentNoMessage"),
    ("MailboxIdParameter", ["a", "b"], "CannotConvertArgument"),
    ("MailboxIdParameter", Hashtable(), "CannotConvertArgumentNoMessage"),
    ("PSCredential", "user", "CannotConvertArgumentNoMessage"),
    ("System.Collections.IDictionary", "x", "CannotConvertArgumentNoMessage"),
    ("Microsoft.Graph.PowerShell.Models.IUsersIdentity", "x", "CannotConvertArgumentNoMessage"),
    ("PropertySet[]", "Everything", "CannotConvertArgumentNoMessage"),
]


@pytest.mark.parametrize(("type_name", "value", "error_id"), REFUSED)
def test_refused_values(type_name: str, value: Any, error_id: str) -> None:
    with pytest.raises(ConversionFailure) as info:
        convert("P", type_name, value)
    assert info.value.error_id == error_id


def test_mandatory_null_and_empty() -> None:
    with pytest.raises(ConversionFailure, match="because it is null"):
        convert("P", "String", None, mandatory=True)
    with pytest.raises(ConversionFailure, match="because it is an empty string"):
        convert("P", "MailboxIdParameter", "", mandatory=True)
    with pytest.raises(ConversionFailure, match="because it is an empty array"):
        convert("P", "String[]", [], mandatory=True)
    assert convert("P", "String", None) is None
    assert convert("P", "String", "") == ""


def test_classification_and_exactness() -> None:
    assert classify("MailboxLocationIdParameter").kind is Kind.IDENTITY
    assert classify("Microsoft.Graph.PowerShell.Models.IUsersIdentity").kind is Kind.GRAPH_MODEL
    assert classify("RecipientTypeDetails[]").is_array
    assert classify("Fqdn").dotnet_name == "Microsoft.Exchange.Data.Fqdn"
    assert is_exact("String", "x") and not is_exact("String", 1)
    assert is_exact("Int32", 1) and not is_exact("Int32", True)
    assert is_exact("String[]", ["a"]) and not is_exact("String[]", "a")
    assert not is_exact("Microsoft.Graph.PowerShell.Models.IUsersIdentity", MAILBOX)
