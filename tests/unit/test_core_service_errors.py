# ruff: noqa: E501  (the service's error texts stay on one line, as published)
"""Each row of the reference's error catalogue (section 4) classifies as its remedy expects."""

from dataclasses import dataclass

import pytest

from orchestrator.core.service_errors import ServiceErrorKind as K
from orchestrator.core.service_errors import classify, split_exo_message


@dataclass(frozen=True)
class Err:
    message: str
    fq_error_id: str = ""
    exception_type: str = "System.Exception"


CASES = [
    (
        "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be "
        "performed because object 'x' couldn't be found on 'AM0PR01A001DC01.PROD.OUTLOOK.COM'.",
        K.NOT_FOUND,
        False,
    ),
    (
        "The operation couldn't be performed because 'Soft Deleted Objects\\Mailbox1' matches multiple entries.",
        K.AMBIGUOUS_IDENTITY,
        False,
    ),
    (
        "The operation couldn't be performed because there is a soft deleted user; please remove the soft deleted "
        "user and then try again",
        K.SOFT_DELETED_USER_EXISTS,
        False,
    ),
    (
        "The operation couldn't be performed because it is outside the writing scope of this server",
        K.OUTSIDE_WRITE_SCOPE,
        False,
    ),
    (
        'The "Disconnect" parameter can\'t be used on the "Remove-Mailbox" cmdlet because it isn\'t present in the '
        "role definition for the current user.",
        K.RBAC_PARAMETER_MISSING,
        False,
    ),
    ("Mailbox is placed on Litigation Hold or In-Place Hold and cannot be deleted", K.HOLD_BLOCKS, False),
    (
        "The parameters passed to the cmdlet represent a managed account, which doesn't match the namespace state, "
        "which is federated.",
        K.FEDERATED_NAMESPACE,
        False,
    ),
    (
        "User license is inherited from a group membership and it cannot be removed directly from the user.",
        K.GROUP_LICENCE,
        False,
    ),
    (
        "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects "
        "currently undergoing migration.",
        K.DIRSYNC_MASTERED,
        False,
    ),
    (
        "This operation exceeds the throttling budget for policy part 'LocalTime', policy value '3000000', Budget "
        "type: 'PowerShell'. Suggested backoff time 4500 ms.",
        K.THROTTLED,
        True,
    ),
    (
        'Error while querying REST service. HttpStatusCode=500 ErrorMessage={"error":{"code":"InternalServerError",'
        '"message":"Active Directory server is not available"}}',
        K.TRANSIENT_SERVICE,
        True,
    ),
    ("Authentication needed. Please call Connect-MgGraph.", K.NOT_CONNECTED, False),
    ("A parameter cannot be found that matches parameter name 'Identiy'.", K.UNKNOWN, False),
]


@pytest.mark.parametrize(("message", "kind", "retryable"), CASES)
def test_catalogue_rows(message, kind, retryable):
    result = classify(Err(message))
    assert (result.kind, result.retryable) == (kind, retryable)
    assert result.remedy


def test_binding_errors_classified_by_fq_id():
    err = Err(
        "A parameter cannot be found that matches parameter name 'Identiy'.",
        "NamedParameterNotFound,Get-Mailbox",
        "System.Management.Automation.ParameterBindingException",
    )
    assert classify(err).kind is K.PARAMETER_BINDING


def test_exo_message_split_uses_inner_type():
    code, kind, text = split_exo_message("Ex4B80CC|Microsoft.Exchange.X.MapiAccessDeniedException|denied")
    assert (code, kind, text) == ("Ex4B80CC", "Microsoft.Exchange.X.MapiAccessDeniedException", "denied")
    assert split_exo_message("plain text") == (None, None, "plain text")
    result = classify(
        Err("Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|gone")
    )
    assert result.exception_type.endswith("ManagementObjectNotFoundException")
    assert result.code == "Ex6F9304"
    assert result.message == "gone"


def test_throttling_backoff_is_read():
    result = classify(Err("exceeds the throttling budget ... Suggested backoff time 4500 ms."))
    assert result.retry_after_s == 4.5
