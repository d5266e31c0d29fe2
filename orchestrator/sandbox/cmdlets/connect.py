"""Connect/disconnect cmdlets: Exchange Online, Security & Compliance, Microsoft Graph (app-only).

Only certificate-based app-only authentication is implemented (§2.10, §2.11, §3): the app id and
certificate thumbprint must be the fixture's, the organization its ``*.onmicrosoft.com`` domain
(Graph: its tenant id or a verified domain). Failures use Entra ID's AADSTS texts and are
terminating, as a failed Connect-* is. Other authentication methods (interactive, managed
identity, access token, client secret) are refused with a clear "not implemented" error rather
than pretending to work.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.registry import Connection, SessionState, cmdlet
from orchestrator.sandbox.runtime import (
    CmdletCall,
    CommandRuntime,
    ErrorCategory,
    ErrorRecord,
    PSObject,
    PSTerminatingError,
)
from orchestrator.sandbox.tenant.model import TenantModel

__all__ = ["check_app_credentials"]

_UNSUPPORTED_EXO = (
    "Credential",
    "UserPrincipalName",
    "Device",
    "InlineCredential",
    "ManagedIdentity",
    "ManagedIdentityAccountId",
    "AccessToken",
    "DelegatedOrganization",
)


def _fail(
    cmdlet_name: str, message: str, fq: str, category: ErrorCategory, exc_type: str
) -> PSTerminatingError:
    return PSTerminatingError(
        ErrorRecord(message, f"{fq},{cmdlet_name}", category, exc_type, activity=cmdlet_name)
    )


def _not_implemented(cmdlet_name: str, what: str) -> PSTerminatingError:
    return _fail(
        cmdlet_name,
        f"The sandbox implements only app-only certificate authentication for {cmdlet_name} "
        f"({what} is not implemented). Use -AppId/-ClientId, -Organization/-TenantId and "
        "-CertificateThumbprint.",
        "SandboxAuthNotImplemented",
        ErrorCategory.NotImplemented,
        "System.NotSupportedException",
    )


def _thumbprint_of(call: CmdletCall, model: TenantModel) -> str:
    """The certificate the caller presented, as a thumbprint (one option exactly)."""
    options = [p for p in ("CertificateThumbprint", "Certificate", "CertificateFilePath") if call.has(p)]
    if len(options) != 1:
        raise _fail(
            call.name,
            "Specify exactly one of -CertificateThumbprint, -Certificate or -CertificateFilePath for "
            "app-only "
            "authentication.",
            "InvalidCertificateParameters",
            ErrorCategory.InvalidArgument,
            "System.ArgumentException",
        )
    option = options[0]
    value = call.bound[option]
    if option == "CertificateThumbprint":
        return str(value or "").replace(" ", "").upper()
    if option == "Certificate":
        thumb = value.get("Thumbprint") if isinstance(value, PSObject) else None
        if not thumb:
            raise _fail(
                call.name,
                "The certificate has no private key or thumbprint.",
                "InvalidCertificate",
                ErrorCategory.InvalidArgument,
                "System.Security.Cryptography.CryptographicException",
            )
        return str(thumb).upper()
    path = Path(str(value))
    if not path.is_file():
        raise _fail(
            call.name,
            "The system cannot find the file specified.",
            "CertificateFileNotFound",
            ErrorCategory.ObjectNotFound,
            "System.Security.Cryptography.CryptographicException",
        )
    # [Assumption] the sandbox cannot read the PFX; an existing file stands for the registered certificate.
    return model.tenant.app.certificate_thumbprint.upper()


def check_app_credentials(
    call: CmdletCall, model: TenantModel, app_id: Any, tenant_ref: str, *, graph: bool
) -> None:
    """Raise the AADSTS error Entra ID would give for these app-only credentials, if any."""
    name = call.name
    info = model.tenant
    exc_type = (
        "Azure.Identity.AuthenticationFailedException"
        if graph
        else "Microsoft.Identity.Client.MsalServiceException"
    )
    prefix = "ClientCertificateCredential authentication failed: " if graph else ""
    known_tenants = {info.organization.lower(), str(info.tenant_id).lower()}
    if graph:
        known_tenants |= {d for d, dom in model.domains.items() if dom.is_verified}
    if str(tenant_ref or "").lower() not in known_tenants:
        raise PSTerminatingError(
            _auth(
                name,
                90002,
                f"{prefix}Tenant '{tenant_ref}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud.",
                exc_type,
            )
        )
    if str(app_id or "").lower() != str(info.app.app_id).lower():
        raise PSTerminatingError(
            _auth(
                name,
                700016,
                f"{prefix}Application with identifier '{app_id}' was not found in the directory "
                f"'{info.display_name}'. "
                "This can happen if the application has not been installed by the administrator of the "
                "tenant or "
                "consented to by any user in the tenant. You may have sent your authentication request to "
                "the wrong "
                "tenant.",
                exc_type,
            )
        )
    thumb = _thumbprint_of(call, model)
    if thumb != info.app.certificate_thumbprint.upper():
        raise PSTerminatingError(
            _auth(
                name,
                700027,
                f"{prefix}The certificate with identifier used to sign the client assertion is not "
                "registered on "
                "application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{thumb}', "
                "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured "
                "keys for "
                f"app Id '{info.app.app_id}'.]",
                exc_type,
            )
        )


def _auth(cmdlet_name: str, code: int, text: str, exc_type: str) -> ErrorRecord:
    return errors.auth_aadsts(cmdlet_name, code, text, exception_type=exc_type)


def _connect(call: CmdletCall, session: SessionState, kind: str) -> None:
    for p in _UNSUPPORTED_EXO:
        if call.has(p) and (p != "UserPrincipalName" or kind == "exo"):
            raise _not_implemented(call.name, f"-{p}")
    if not call.has("AppId"):
        raise _not_implemented(call.name, "interactive sign-in")
    if not call.has("Organization"):
        raise _fail(
            call.name,
            "Please provide the Organization parameter (the tenant's primary .onmicrosoft.com domain) for "
            "app-only "
            "authentication.",
            "OrganizationRequired",
            ErrorCategory.InvalidArgument,
            "System.ArgumentException",
        )
    with session.tenant.transaction() as model:
        organization = str(call.bound["Organization"])
        check_app_credentials(call, model, call.bound["AppId"], organization, graph=False)
        with session.lock:
            session.connections = [c for c in session.connections if c.kind != kind]
            session.connections.append(
                Connection(
                    connection_id=uuid.uuid4(),
                    kind=kind,  # type: ignore[arg-type]
                    organization=model.tenant.organization,
                    app_id=model.tenant.app.app_id,
                    certificate_thumbprint=model.tenant.app.certificate_thumbprint,
                    connected_at=session.tenant.now(),
                    prefix=str(call.bound.get("Prefix") or ""),
                    command_names=[str(c) for c in call.bound.get("CommandName") or []],
                )
            )
            session.connected_app_id = model.tenant.app.app_id
            if kind == "exo":
                session.exo_connected = True
            else:
                session.ipps_connected = True


@cmdlet("Connect-ExchangeOnline")
def connect_exchange_online(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    _connect(call, session, "exo")


@cmdlet("Connect-IPPSSession")
def connect_ipps_session(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    _connect(call, session, "ipps")


@cmdlet("Disconnect-ExchangeOnline")
def disconnect_exchange_online(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Removes all EXO/S&C connections, or those named by -ConnectionId / -ModulePrefix."""
    with session.lock:
        ids = {str(x).lower() for x in call.bound.get("ConnectionId") or []}
        prefixes = {str(x).lower() for x in call.bound.get("ModulePrefix") or []}
        keep = [
            c
            for c in session.connections
            if (ids and str(c.connection_id) not in ids) or (prefixes and c.prefix.lower() not in prefixes)
        ]
        session.connections = keep
        session.exo_connected = any(c.kind == "exo" for c in keep)
        session.ipps_connected = any(c.kind == "ipps" for c in keep)


@cmdlet("Get-ConnectionInformation")
def get_connection_information(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Nothing before a connection; afterwards one object per connection."""
    ids = {str(x).lower() for x in call.bound.get("ConnectionId") or []}
    prefixes = {str(x).lower() for x in call.bound.get("ModulePrefix") or []}
    with session.tenant.transaction() as model:
        tenant_id = model.tenant.tenant_id
    for index, conn in enumerate(list(session.connections), start=1):
        if ids and str(conn.connection_id) not in ids:
            continue
        if prefixes and conn.prefix.lower() not in prefixes:
            continue
        ipps = conn.kind == "ipps"
        runtime.write_output(
            PSObject(
                {
                    "ConnectionId": str(conn.connection_id),
                    "State": "Connected",
                    "Id": index,
                    "Name": f"{'ExchangeOnlineProtection' if ipps else 'ExchangeOnline'}_{index}",
                    "UserPrincipalName": None,
                    "ConnectionUri": "https://ps.compliance.protection.outlook.com"
                    if ipps
                    else "https://outlook.office365.com",
                    "AzureAdAuthorizationEndpointUri": "https://login.microsoftonline.com/organizations",
                    "TokenExpiryTimeUTC": conn.connected_at + timedelta(hours=1),
                    "CertificateAuthentication": True,
                    "ModuleName": f"tmpEXO_{conn.connection_id.hex[:8]}",
                    "ModulePrefix": conn.prefix,
                    "Organization": conn.organization,
                    "DelegatedOrganization": None,
                    "AppId": str(conn.app_id),
                    "PageSize": 1000,
                    "TenantID": str(tenant_id),
                    "TokenStatus": "Active",
                    "ConnectionUsedForInbuiltCmdlets": not ipps,
                    "IsEopSession": ipps,
                },
                ["Microsoft.Exchange.Management.ExoPowershellSnapin.ConnectionInformation", "System.Object"],
                adapted=True,
            )
        )


@cmdlet("Connect-MgGraph")
def connect_mg_graph(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if call.parameter_set != "AppCertificateParameterSet" or not call.has("ClientId"):
        raise _not_implemented(call.name, f"parameter set {call.parameter_set}")
    if not call.has("TenantId"):
        raise _fail(
            call.name,
            "TenantId is required for app-only authentication.",
            "TenantIdRequired",
            ErrorCategory.InvalidArgument,
            "System.ArgumentException",
        )
    if call.has("CertificateSubjectName"):
        raise _not_implemented(call.name, "-CertificateSubjectName")
    with session.tenant.transaction() as model:
        check_app_credentials(call, model, call.bound["ClientId"], str(call.bound["TenantId"]), graph=True)
        with session.lock:
            session.graph_connected = True
            session.graph_context = {
                "ClientId": str(model.tenant.app.app_id),
                "TenantId": str(model.tenant.tenant_id),
                "Scopes": list(model.tenant.app.graph_permissions),
                "AuthType": "AppOnly",
                "TokenCredentialType": "ClientCertificate",
                "CertificateThumbprint": model.tenant.app.certificate_thumbprint,
                "CertificateSubjectName": None,
                "Account": None,
                "AppName": model.tenant.app.display_name,
                "ContextScope": "Process",
                "Certificate": None,
                "PSHostVersion": "7.4.6",
                "ManagedIdentityId": None,
                "ClientSecret": None,
                "Environment": "Global",
            }


@cmdlet("Get-MgContext")
def get_mg_context(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """$null (no output) before Connect-MgGraph."""
    if session.graph_context is not None:
        runtime.write_output(
            PSObject(
                dict(session.graph_context),
                ["Microsoft.Graph.PowerShell.Authentication.AuthContext", "System.Object"],
                adapted=True,
            )
        )


@cmdlet("Disconnect-MgGraph")
def disconnect_mg_graph(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    with session.lock:
        if not session.graph_connected:
            runtime.write_error(
                ErrorRecord(
                    "No application to sign out from.",
                    "Microsoft.Graph.PowerShell.Authentication.Cmdlets.DisconnectMgGraph",
                    ErrorCategory.InvalidOperation,
                    "System.InvalidOperationException",
                    activity=call.name,
                )
            )
            return
        session.graph_connected = False
        session.graph_context = None
