"""Command-line binding against the real catalog: every documented error, and what binds.

Invocations are written as PowerShell text and split by a tiny tokenizer (below) into the
``ParameterToken``/``ArgumentValue`` lists the evaluator hands the binder.
"""

from __future__ import annotations

import shlex
import uuid
from typing import Any

import pytest

from orchestrator.sandbox.binding import ParameterBindingError, bind, check_static, resolve_parameter
from orchestrator.sandbox.catalog import load_catalog
from orchestrator.sandbox.runtime import (
    NO_VALUE,
    ArgumentValue,
    CmdletCall,
    ErrorCategory,
    Hashtable,
    ParameterToken,
    PSObject,
    SecureString,
    SwitchParameter,
)

GUID = uuid.UUID("6a1f1a4e-0d3b-4f9c-9e6b-2c4d7f1e8a90")
VARIABLES: dict[str, Any] = {
    "$true": True,
    "$false": False,
    "$null": None,
    "$guid": GUID,
    "$secure": SecureString("P@ssw0rd"),
    "$cred": PSObject({"UserName": "admin"}, ["System.Management.Automation.PSCredential"]),
    "$hash": Hashtable({"SkuId": str(GUID)}),
    "$mailbox": PSObject({"Identity": "laura", "ExchangeGuid": GUID}, ["Deserialized.Mailbox"], adapted=True),
    "@()": [],
}


def value(text: str) -> Any:
    """A PowerShell argument literal: quoted string, $variable, number, a,b list or bareword."""
    if text[:1] in "'\"" and text[-1:] == text[:1]:
        return text[1:-1]
    if text.lower() in VARIABLES:
        return VARIABLES[text.lower()]
    if "," in text:
        return [value(part) for part in text.split(",")]
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def parse(line: str) -> tuple[str, list[ParameterToken | ArgumentValue]]:
    lexer = shlex.shlex(line, posix=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    name, *tokens = list(lexer)
    args: list[ParameterToken | ArgumentValue] = []
    for token in tokens:
        if token.startswith("-") and token[1:2].isalpha():
            parameter, colon, rest = token[1:].partition(":")
            args.append(ParameterToken(parameter, value(rest) if colon else NO_VALUE, token))
        else:
            args.append(ArgumentValue(value(token)))
    return name, args


def run(line: str) -> CmdletCall:
    name, args = parse(line)
    calls = bind(load_catalog()[name], args)
    assert len(calls) == 1
    return calls[0]


def failure(line: str) -> ParameterBindingError:
    name, args = parse(line)
    with pytest.raises(ParameterBindingError) as info:
        bind(load_catalog()[name], args)
    return info.value


ALREADY = (
    "Cannot bind parameter because parameter '{}' is specified more than once. To provide multiple values to "
    "parameters that can accept multiple values, use the array syntax. For "
    'example, "-parameter value1,value2,value3".'
)
AMBIGUOUS_SET = (
    "Parameter set cannot be resolved using the specified named parameters. One or more parameters issued "
    "cannot be used together or an insufficient number of parameters were provided."
)
BOOLEAN = (
    "Cannot process argument transformation on parameter '{}'. Cannot convert value \"{}\" to type "
    '"System.Boolean". Boolean parameters accept only Boolean values and '
    "numbers, such as $True, $False, 1 or 0."
)

ERRORS: list[tuple[str, str, str]] = [
    (
        "Get-Mailbox -Identiy x",
        "NamedParameterNotFound",
        "A parameter cannot be found that matches parameter name 'Identiy'.",
    ),
    (
        "Remove-Mailbox -Permanent $true x",
        "NamedParameterNotFound",
        "A parameter cannot be found that matches parameter name 'Permanent'.",
    ),
    (
        "Remove-Mailbox -Identity x -Database db1",
        "NamedParameterNotFound",
        "A parameter cannot be found that matches parameter name 'Database'.",
    ),
    (
        "Restore-MgDirectoryDeletedItem -DirectoryObjectId x -AutoReconcileProxyConflict",
        "NamedParameterNotFound",
        "A parameter cannot be found that matches parameter name 'AutoReconcileProxyConflict'.",
    ),
    (
        "Get-Mailbox -WhatIf",
        "NamedParameterNotFound",
        "A parameter cannot be found that matches parameter name 'WhatIf'.",
    ),
    (
        "Get-MgUser -Co c",
        "AmbiguousParameter",
        "Parameter cannot be processed because the parameter name 'Co' is "
        "ambiguous. Possible matches include: "
        "-ConsistencyLevel -CountVariable.",
    ),
    (
        "Set-Mailbox x -Audit $true",
        "AmbiguousParameter",
        "Parameter cannot be processed because the parameter name 'Audit' is "
        "ambiguous. Possible matches include: "
        "-AuditAdmin -AuditDelegate -AuditEnabled -AuditLogAgeLimit -AuditOwner.",
    ),
    ("Set-Mailbox -Identity x -Identity y", "ParameterAlreadyBound", ALREADY.format("Identity")),
    ("Get-MgUser -Top 1 -Limit 2", "ParameterAlreadyBound", ALREADY.format("Top")),
    (
        "Get-Mailbox -Identity",
        "MissingArgument",
        "Missing an argument for parameter 'Identity'. Specify a parameter of type "
        "'Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter' and try again.",
    ),
    (
        "Get-MgUser -Filter -All",
        "MissingArgument",
        "Missing an argument for parameter 'Filter'. Specify a parameter of type "
        "'System.String' and try again.",
    ),
    (
        "Remove-Mailbox x -PermanentlyDelete $true",
        "PositionalParameterNotFound",
        "A positional parameter cannot be found that accepts argument 'True'.",
    ),
    (
        "Get-MgUser someone",
        "PositionalParameterNotFound",
        "A positional parameter cannot be found that accepts argument 'someone'.",
    ),
    ("Get-EXOMailbox -Identity x -Anr y", "AmbiguousParameterSet", AMBIGUOUS_SET),
    ("Set-MgUserLicense -UserId x -InputObject $hash", "AmbiguousParameterSet", AMBIGUOUS_SET),
    (
        "Remove-Mailbox -Confirm:$false",
        "MissingMandatoryParameter",
        "Cannot process command because of one or more missing mandatory parameters: Identity.",
    ),
    (
        "New-Mailbox -Name x -InactiveMailbox y -Password",
        "MissingArgument",
        "Missing an argument for parameter 'Password'. Specify a parameter of type "
        "'System.Security.SecureString' and try again.",
    ),
    (
        "Get-MgUserLicenseDetail -LicenseDetailsId l",
        "MissingMandatoryParameter",
        "Cannot process command because of one or more missing mandatory parameters: UserId.",
    ),
    (
        "Set-Mailbox x -LitigationHoldEnabled 'false'",
        "ParameterArgumentTransformationError",
        BOOLEAN.format("LitigationHoldEnabled", "System.String"),
    ),
    (
        "Set-Mailbox x -LitigationHoldEnabled:$null",
        "ParameterArgumentTransformationError",
        BOOLEAN.format("LitigationHoldEnabled", ""),
    ),
    (
        "Remove-Mailbox x -Confirm:'no'",
        "ParameterArgumentTransformationError",
        BOOLEAN.format("Confirm", "System.String").replace(
            '"System.Boolean"', '"System.Management.Automation.SwitchParameter"'
        ),
    ),
    (
        "Get-MgUser -Top abc",
        "CannotConvertArgumentNoMessage",
        'Cannot bind parameter \'Top\'. Cannot convert value "abc" to type "System.Int32". '
        'Error: "Input string was not in a correct format."',
    ),
    (
        "Get-MgUser -Top 3000000000",
        "CannotConvertArgumentNoMessage",
        'Cannot bind parameter \'Top\'. Cannot convert value "3000000000" to type "System.Int32". '
        'Error: "Value was either too large or too small for an Int32."',
    ),
    (
        "Get-EXOMailbox -ExternalDirectoryObjectId nope",
        "CannotConvertArgumentNoMessage",
        "Cannot bind parameter 'ExternalDirectoryObjectId'. Cannot convert value "
        '"nope" to type "System.Guid". '
        'Error: "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."',
    ),
    (
        "New-Mailbox -Name x -InactiveMailbox y -Password 'plain'",
        "CannotConvertArgumentNoMessage",
        "Cannot bind parameter 'Password'. Cannot convert the \"plain\" value of "
        'type "System.String" to type '
        '"System.Security.SecureString".',
    ),
    (
        "Get-Mailbox -ResultSize lots",
        "CannotConvertArgumentNoMessage",
        "Cannot bind parameter 'ResultSize'. Cannot convert value \"lots\" to type "
        '"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]". Error: "The value "lots" is not valid. '
        'Valid values are "Unlimited" or a non-negative integer."',
    ),
    (
        "Get-Mailbox -ErrorAction Sometimes",
        "CannotConvertArgumentNoMessage",
        "Cannot bind parameter 'ErrorAction'. Cannot convert value \"Sometimes\" to type "
        '"System.Management.Automation.ActionPreference". Error: "Unable to match '
        "the identifier name Sometimes "
        "to a valid enumerator name. Specify one of the following enumerator names and try again:\r\n"
        'SilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend"',
    ),
    (
        "Get-MgUser -Filter a,b",
        "CannotConvertArgument",
        "Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'Filter'. "
        "Specified method is not supported.",
    ),
    (
        "Remove-Mailbox -Identity $null",
        "ParameterArgumentValidationErrorNullNotAllowed",
        "Cannot bind argument to parameter 'Identity' because it is null.",
    ),
    (
        "Remove-MgUser -UserId ''",
        "ParameterArgumentValidationErrorEmptyStringNotAllowed",
        "Cannot bind argument to parameter 'UserId' because it is an empty string.",
    ),
]


@pytest.mark.parametrize(("line", "error_id", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_binding_errors_match_powershell(line: str, error_id: str, message: str) -> None:
    error = failure(line)
    cmdlet = line.split()[0]
    record = error.record
    assert record.message == message
    assert record.fq_error_id == f"{error_id},{cmdlet}"
    assert error.error_id == error_id
    assert record.activity == cmdlet
    assert record.exception_type.startswith("System.Management.Automation.ParameterBinding")
    invalid_data = error_id.startswith(("ParameterArgumentTransformation", "ParameterArgumentValidation"))
    assert record.category == (ErrorCategory.InvalidData if invalid_data else ErrorCategory.InvalidArgument)


def test_validate_set_from_catalog_accepted_values() -> None:
    from orchestrator.sandbox.catalog import parse_catalog

    catalog = parse_catalog(
        {
            "cmdlets": {
                "Set-Thing": {
                    "module": "ExchangeOnlineManagement",
                    "parameters": {"Mode": {"type": "String", "accepted_values": ["A", "B", "C"]}},
                    "parameter_sets": [
                        {"name": "Set1", "parameters": {"Mode": {"required": False, "position": None}}}
                    ],
                }
            }
        }
    )
    spec = catalog["Set-Thing"]
    assert bind(spec, [ParameterToken("Mode"), ArgumentValue("b")])[0].bound["Mode"] == "b"
    with pytest.raises(ParameterBindingError) as info:
        bind(spec, [ParameterToken("Mode"), ArgumentValue("Y")])
    assert info.value.record.message == (
        'Cannot validate argument on parameter \'Mode\'. The argument "Y" does not belong to the set "A,B,C" '
        "specified by the ValidateSet attribute. Supply an argument that is in the "
        "set and then try the command again."
    )
    assert info.value.record.fq_error_id == "ParameterArgumentValidationError,Set-Thing"
    assert info.value.record.category is ErrorCategory.InvalidData


def test_prefixes_and_aliases() -> None:
    assert run("Get-MgUser -Count c").bound == {"CountVariable": "c"}
    assert run("Get-MgUser -cv c -Select id,mail").bound == {"CountVariable": "c", "Property": ["id", "mail"]}
    assert run("Remove-Mailbox x -Perm").bound["PermanentlyDelete"] == SwitchParameter(True)
    assert run("Get-Mailbox -ea Stop -vb").bound == {"ErrorAction": "Stop", "Verbose": SwitchParameter(True)}
    assert run("Get-Mailbox -IDENTITY x").bound == {"Identity": "x"}
    error = failure("Get-MgUser -P x")
    assert error.record.message.endswith(
        "Possible matches include: -PageSize -Property -Proxy -ProxyCredential -ProxyUseDefaultCredentials "
        "-ProgressAction -PipelineVariable."
    )


SUCCESSES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Set-Mailbox x -LitigationHoldEnabled $false",
        "Identity",
        {"Identity": "x", "LitigationHoldEnabled": False},
    ),
    ("Set-Mailbox x -LitigationHoldEnabled 0", "Identity", {"Identity": "x", "LitigationHoldEnabled": False}),
    (
        "Remove-Mailbox -Identity x -PermanentlyDelete -Confirm:$false",
        "Default",
        {"Identity": "x", "PermanentlyDelete": SwitchParameter(True), "Confirm": SwitchParameter(False)},
    ),
    ("Remove-Mailbox x", "Identity", {"Identity": "x"}),
    ("Remove-Mailbox -Force x", "Identity", {"Force": SwitchParameter(True), "Identity": "x"}),
    (
        "New-Mailbox -InactiveMailbox $guid -Name n -MicrosoftOnlineServicesID "
        "n@contoso.com -Password $secure "
        "-ResetPasswordOnNextLogon $true",
        "MicrosoftOnlineServicesID",  # only that set also has the ID
        {
            "InactiveMailbox": GUID,
            "Name": "n",
            "MicrosoftOnlineServicesID": "n@contoso.com",
            "Password": SecureString("P@ssw0rd"),
            "ResetPasswordOnNextLogon": True,
        },
    ),
    (
        "New-Mailbox -Name n -MicrosoftOnlineServicesID n@contoso.com -Password $secure",
        "MicrosoftOnlineServicesID",
        {"Name": "n", "MicrosoftOnlineServicesID": "n@contoso.com", "Password": SecureString("P@ssw0rd")},
    ),
    (
        "Set-Mailbox x -InactiveMailbox -RemoveDelayHoldApplied",
        "RemoveDelayHoldApplied",
        {
            "Identity": "x",
            "InactiveMailbox": SwitchParameter(True),
            "RemoveDelayHoldApplied": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -Identity x -InactiveMailbox -RemoveComplianceTagHoldApplied",
        "RemoveComplianceTagHoldApplied",
        {
            "Identity": "x",
            "InactiveMailbox": SwitchParameter(True),
            "RemoveComplianceTagHoldApplied": SwitchParameter(True),
        },
    ),
    (
        "Get-EXOMailbox -Identity x -UserPrincipalName u@contoso.com",
        "Identity",
        {"Identity": "x", "UserPrincipalName": "u@contoso.com"},
    ),
    (
        "Get-EXOMailbox x -PropertySets archive,Hold",
        "Identity",
        {"PropertySets": ["Archive", "Hold"], "Identity": "x"},
    ),
    (
        "New-MailboxRestoreRequest -SourceMailbox $guid -TargetMailbox x -AllowLegacyDNMismatch",
        "SourceMailbox",
        {"SourceMailbox": GUID, "TargetMailbox": "x", "AllowLegacyDNMismatch": SwitchParameter(True)},
    ),
    (
        "Set-MgUserLicense -UserId x -AddLicenses @() -RemoveLicenses $guid",
        "AssignExpanded",
        {"UserId": "x", "AddLicenses": [], "RemoveLicenses": [str(GUID)]},
    ),
    (
        "Set-MgUserLicense -UserId x -AddLicenses $hash -RemoveLicenses @()",
        "AssignExpanded",
        {"UserId": "x", "AddLicenses": [Hashtable({"SkuId": str(GUID)})], "RemoveLicenses": []},
    ),
    ("Get-Mailbox -ResultSize unlimited", "Identity", {"ResultSize": "Unlimited"}),
    ("Get-Mailbox -ResultSize '25'", "Identity", {"ResultSize": 25}),
    (
        "Get-Mailbox -Identity $null",
        "Identity",
        {"Identity": None},
    ),  # Identity is optional: returns everything
    ("Get-Mailbox -Identity $mailbox", "Identity", {"Identity": VARIABLES["$mailbox"]}),
    ("Get-MgUser", "List", {}),
    ("Get-MgUser -UserId x", "Get", {"UserId": "x"}),
    ("Get-MgUser -Top '5' -OutBuffer 2", "List", {"Top": 5, "OutBuffer": 2}),
    (
        "Connect-MgGraph User.Read,Mail.Read tenant",
        "UserParameterSet",
        {"Scopes": ["User.Read", "Mail.Read"], "TenantId": "tenant"},
    ),
    (
        "Connect-MgGraph -ClientId app -CertificateThumbprint abc",
        "AppCertificateParameterSet",
        {"ClientId": "app", "CertificateThumbprint": "abc"},
    ),
    (
        "Connect-ExchangeOnline https://outlook.office365.com/powershell-liveid/ -ShowBanner:$false",
        "Set1",
        {
            "ShowBanner": SwitchParameter(False),
            "ConnectionUri": "https://outlook.office365.com/powershell-liveid/",
        },
    ),
    (
        "Set-Mailbox x -GroupMailbox -ExcludeFromAllHolds",
        "ExcludeFromAllHolds",
        {
            "Identity": "x",
            "GroupMailbox": SwitchParameter(True),
            "ExcludeFromAllHolds": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox x -RecalculateInactiveMailbox -GroupMailbox grp",
        "RecalculateInactiveMailbox",
        {"Identity": "x", "RecalculateInactiveMailbox": SwitchParameter(True), "GroupMailbox": "grp"},
    ),
    ("Get-ManagementRole x", "Identity", {"Identity": "x"}),
    ("Get-ManagementRole x -Recurse", "Recurse", {"Identity": "x", "Recurse": SwitchParameter(True)}),
]


@pytest.mark.parametrize(("line", "parameter_set", "bound"), SUCCESSES, ids=[s[0] for s in SUCCESSES])
def test_successful_bindings(line: str, parameter_set: str, bound: dict[str, Any]) -> None:
    call = run(line)
    assert call.name == line.split()[0]
    assert call.bound == bound
    assert call.parameter_set == parameter_set
    assert not call.piped


def test_set_mailbox_value_optional_forms_select_sets() -> None:
    error = failure("Set-Mailbox x -RemoveDelayHoldApplied -GroupMailbox -Confirm:$false")
    assert error.error_id == "AmbiguousParameterSet"  # that set documents -GroupMailbox with a value


def test_tie_break_without_documented_default() -> None:
    assert run("Undo-SoftDeletedMailbox x").parameter_set == "SoftDeletedMailbox"
    assert run("Undo-SoftDeletedMailbox x -PublicFolder").parameter_set == "PublicFolder"
    assert run("Disable-Mailbox x -Archive").parameter_set == "Archive"
    assert run("New-Mailbox -InactiveMailbox x -Name n -Password $secure").parameter_set == "InactiveMailbox"


# Invocations of the kinds the official docs' EXAMPLES sections use (cmdlets.md step 4).
DOC_EXAMPLES = [
    'Get-Mailbox -Identity "John Rodman"',
    "Get-Mailbox -ResultSize unlimited",
    "Get-Mailbox -Anr Chr",
    "Get-Mailbox -SoftDeletedMailbox -Identity x -ResultSize Unlimited",
    "Get-Mailbox -InactiveMailboxOnly -ResultSize Unlimited",
    "Get-Mailbox -Identity x -IncludeInactiveMailbox",
    "Get-Mailbox -Archive -RecipientTypeDetails UserMailbox,SharedMailbox",
    "Get-EXOMailbox -PropertySets Archive,Audit",
    "Get-EXOMailbox -Identity x -Properties Name,DisplayName",
    "Get-EXOMailbox -ResultSize 10 -PropertySets All",
    "Get-Recipient -ResultSize unlimited",
    "Get-User -Identity x",
    'Remove-Mailbox -Identity "Fabrice Canel"',
    "Remove-Mailbox -Identity x -PermanentlyDelete",
    "New-Mailbox -InactiveMailbox $guid -Name x -MicrosoftOnlineServicesID a@contoso.com -Password $secure "
    "-ResetPasswordOnNextLogon $true",
    'New-Mailbox -Shared -Name "Sales Department" -DisplayName "Sales Department" -Alias Sales',
    "New-Mailbox -Name ConfRoom -Room",
    "Undo-SoftDeletedMailbox -SoftDeletedObject x -WindowsLiveID a@contoso.com -Password $secure",
    "Set-Mailbox -Identity x -LitigationHoldEnabled $true",
    "Set-Mailbox x -InactiveMailbox -RemoveDelayHoldApplied",
    "Set-Mailbox x -RecalculateInactiveMailbox",
    "Set-Mailbox -Identity x -ExcludeFromAllOrgHolds",
    "Set-Mailbox -Identity x -RetentionHoldEnabled $true",
    "Disable-Mailbox -Identity x -Archive",
    "New-MailboxRestoreRequest -SourceMailbox $guid -TargetMailbox x -AllowLegacyDNMismatch",
    "Get-MailboxRestoreRequestStatistics -Identity x",
    "Resume-MailboxRestoreRequest -Identity x",
    "Remove-MailboxRestoreRequest -Identity x -Confirm:$false",
    "Get-MailboxStatistics -Identity x",
    "Get-OrganizationConfig",
    "Connect-ExchangeOnline -UserPrincipalName a@contoso.com -ShowBanner:$false",
    "Connect-IPPSSession -UserPrincipalName a@contoso.com",
    "Get-CaseHoldPolicy -Identity x",
    "Get-RetentionCompliancePolicy -Identity x -DistributionDetail",
    "Set-RetentionCompliancePolicy -Identity x -RetryDistribution",
    'Get-ManagementRoleAssignment -Role "Mailbox Import Export"',
    "Connect-MgGraph -Scopes User.ReadWrite.All,Directory.ReadWrite.All -NoWelcome",
    "Get-MgUser -UserId x",
    'Get-MgUser -Filter "accountEnabled eq false" -ConsistencyLevel eventual -Count userCount',
    "Get-MgUser -All -Property id,mail",
    "Remove-MgUser -UserId x",
    "Get-MgDirectoryDeletedItemAsUser -All",
    "Get-MgDirectoryDeletedItem -DirectoryObjectId x",
    "Restore-MgDirectoryDeletedItem -DirectoryObjectId x -BodyParameter $hash",
    "Remove-MgDirectoryDeletedItem -DirectoryObjectId x",
    "Set-MgUserLicense -UserId x -AddLicenses $hash -RemoveLicenses @()",
    "Get-MgUserLicenseDetail -UserId x",
    "Get-MgSubscribedSku",
    "Get-MgDomain -DomainId contoso.com",
    "Disconnect-MgGraph",
    "Disconnect-ExchangeOnline -Confirm:$false",
    "Get-ConnectionInformation",
    "Get-MgContext",
]


def static_view(spec: Any, args: list[ParameterToken | ArgumentValue]) -> tuple[list[str], int]:
    """What a template linter knows: the parameter names and how many positional arguments."""
    names: list[str] = []
    positional = 0
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if isinstance(arg, ArgumentValue):
            positional += 1
            continue
        names.append(arg.name)
        takes_value = not resolve_parameter(spec, arg.name).switch
        if arg.value is NO_VALUE and takes_value and index < len(args):
            index += 1  # the value of -Name, not a positional argument
    return names, positional


@pytest.mark.parametrize("line", DOC_EXAMPLES)
def test_doc_style_invocations_bind(line: str) -> None:
    call = run(line)
    name, args = parse(line)
    spec = load_catalog()[name]
    names, positional = static_view(spec, args)
    assert check_static(spec, names, positional_count=positional) == call.parameter_set


def test_check_static_reports_the_same_errors() -> None:
    catalog = load_catalog()
    assert check_static(catalog["Remove-Mailbox"], ["PermanentlyDelete"], piped=True) == "Default"
    assert check_static(catalog["Remove-Mailbox"], ["Identity", "PermanentlyDelete", "Confirm"]) == "Default"
    for names, kwargs, error_id in [
        (["Permanent"], {}, "NamedParameterNotFound"),
        (["PermanentlyDelete"], {}, "MissingMandatoryParameter"),
        (["Identity", "Identity"], {}, "ParameterAlreadyBound"),
        (["Identity"], {"positional_count": 1}, "PositionalParameterNotFound"),
    ]:
        with pytest.raises(ParameterBindingError) as info:
            check_static(catalog["Remove-Mailbox"], names, **kwargs)
        assert info.value.error_id == error_id


# Set-Mailbox on an inactive mailbox (reference §2.9). Every set holding -InactiveMailbox is one
# that a parameter of its own name defines (RemoveDelayHoldApplied, ExcludeFromOrgHolds, ...); the
# docs show several of those selectors optional, so a command line that binds none of them used to
# be AmbiguousParameterSet although the service accepts it (binding.md, set resolution step 4).
INACTIVE_SET_MAILBOX: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Set-Mailbox -InactiveMailbox -Identity x -LitigationHoldEnabled $false",
        "ExcludeFromAllHolds",  # none asked for: the first in documentation order
        {"InactiveMailbox": SwitchParameter(True), "Identity": "x", "LitigationHoldEnabled": False},
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -LitigationHoldEnabled $true "
        "-LitigationHoldDuration Unlimited",
        "ExcludeFromAllHolds",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "LitigationHoldEnabled": True,
            "LitigationHoldDuration": "Unlimited",
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -RemoveDelayHoldApplied",
        "RemoveDelayHoldApplied",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "RemoveDelayHoldApplied": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -RemoveDelayReleaseHoldApplied",
        "RemoveDelayReleaseHoldApplied",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "RemoveDelayReleaseHoldApplied": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -ExcludeFromOrgHolds $guid",
        "ExcludeFromOrgHolds",
        {"InactiveMailbox": SwitchParameter(True), "Identity": "x", "ExcludeFromOrgHolds": [str(GUID)]},
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -ExcludeFromAllOrgHolds",
        "ExcludeFromAllOrgHolds",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "ExcludeFromAllOrgHolds": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -RemoveComplianceTagHoldApplied",
        "RemoveComplianceTagHoldApplied",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "RemoveComplianceTagHoldApplied": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -ExcludeFromAllHolds",
        "ExcludeFromAllHolds",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "ExcludeFromAllHolds": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox -Identity x -RecalculateInactiveMailbox",
        "RecalculateInactiveMailbox",
        {
            "InactiveMailbox": SwitchParameter(True),
            "Identity": "x",
            "RecalculateInactiveMailbox": SwitchParameter(True),
        },
    ),
    (
        "Set-Mailbox -InactiveMailbox x -RemoveOrphanedHolds a,b",
        "RemoveOrphanedHolds",
        {"InactiveMailbox": SwitchParameter(True), "Identity": "x", "RemoveOrphanedHolds": ["a", "b"]},
    ),
    (
        "Set-Mailbox -Identity x -LitigationHoldEnabled $true -LitigationHoldDuration 365",
        "Identity",  # without -InactiveMailbox the documented default set holds them
        {"Identity": "x", "LitigationHoldEnabled": True, "LitigationHoldDuration": 365},
    ),
]


@pytest.mark.parametrize(
    ("line", "parameter_set", "bound"), INACTIVE_SET_MAILBOX, ids=[s[0] for s in INACTIVE_SET_MAILBOX]
)
def test_set_mailbox_inactive_mailbox_sets(line: str, parameter_set: str, bound: dict[str, Any]) -> None:
    call = run(line)
    assert call.bound == bound
    assert call.parameter_set == parameter_set
    name, args = parse(line)
    spec = load_catalog()[name]
    names, positional = static_view(spec, args)
    assert check_static(spec, names, positional_count=positional) == parameter_set


def test_set_mailbox_inactive_mailbox_piped_identity() -> None:
    piped = PSObject({"Identity": "grace", "ExchangeGuid": GUID}, ["Deserialized.Mailbox"], adapted=True)
    name, args = parse("Set-Mailbox -InactiveMailbox -LitigationHoldEnabled $false")
    (call,) = bind(load_catalog()[name], args, pipeline_input=[piped])
    assert call.piped and call.bound["Identity"] == "grace"
    assert call.parameter_set == "ExcludeFromAllHolds"


@pytest.mark.parametrize(
    "line",
    [
        # No complete set: the Identity is missing, so nothing narrows the ten sets (as before).
        "Set-Mailbox -InactiveMailbox -LitigationHoldEnabled $false",
        # Graph documents its defaults and names no set after a parameter: still ambiguous.
        "Update-MgUser -BodyParameter $hash",
        "Set-MgUserLicense -BodyParameter $hash",
    ],
)
def test_unresolvable_sets_stay_ambiguous(line: str) -> None:
    assert failure(line).error_id == "AmbiguousParameterSet"


def test_unasked_set_rule_on_hand_made_cmdlets() -> None:
    """The rule in isolation: sets named after an unbound member of theirs give way; a single
    remaining generic set wins; several generic sets stay ambiguous under a documented default."""
    from orchestrator.sandbox.catalog import parse_catalog

    def cmdlet(sets: dict[str, list[str]]) -> Any:
        parameters = {p: {"type": "SwitchParameter", "switch": True} for ps in sets.values() for p in ps}
        parameters["Identity"] = {"type": "String"}
        raw_sets: list[dict[str, Any]] = [{"name": "Default", "default": True, "parameters": {}}]
        for set_name, members in sets.items():
            raw_sets.append(
                {
                    "name": set_name,
                    "parameters": {
                        "Identity": {"required": True, "position": 1},
                        **{p: {"required": False, "position": None} for p in members},
                    },
                }
            )
        raw = {"module": "ExchangeOnlineManagement", "parameters": parameters, "parameter_sets": raw_sets}
        return parse_catalog({"cmdlets": {"Set-Thing": raw}})["Set-Thing"]

    one_generic = cmdlet(
        {"Purge": ["Purge", "Inactive"], "Plain": ["Inactive"], "Keep": ["Keep", "Inactive"]}
    )
    assert bind(one_generic, [ParameterToken("Inactive"), ArgumentValue("x")])[0].parameter_set == "Plain"
    two_generic = cmdlet({"Purge": ["Purge", "Inactive"], "PlainA": ["Inactive"], "PlainB": ["Inactive"]})
    with pytest.raises(ParameterBindingError) as info:
        bind(two_generic, [ParameterToken("Inactive"), ArgumentValue("x")])
    assert info.value.error_id == "AmbiguousParameterSet"
    only_defined = cmdlet({"Purge": ["Purge", "Inactive"], "Keep": ["Keep", "Inactive"]})
    assert bind(only_defined, [ParameterToken("Inactive"), ArgumentValue("x")])[0].parameter_set == "Purge"
    assert (
        bind(only_defined, [ParameterToken("Inactive"), ParameterToken("Keep"), ArgumentValue("x")])[
            0
        ].parameter_set
        == "Keep"
    )
