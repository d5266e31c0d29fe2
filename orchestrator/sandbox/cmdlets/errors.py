"""The service's error records, as the EXO V3 module and the Graph SDK surface them.

One factory per row of the reference's error catalogue (exchange-online-lifecycle.md §4), so the
read and write cmdlets only pick one. Every factory takes the error *source* first: the cmdlet's
``SessionState``, the ``Tenant`` or an ``ErrorContext``; the context supplies the server names,
the request id (deterministic: uuid5 of the tenant id, the knobs' seed and a counter) and the
simulated timestamp, so tests are reproducible.

Forms (see docs/sandbox/cmdlets.md "Error records"):

* **Write-ErrorMessage** (REST-mode EXO cmdlets other than Get-EXO*, §4 "Format in REST-mode EXO
  V3"): message ``<code>|<ExceptionType>|<text>``; FullyQualifiedErrorId
  ``[Server=<srv>,RequestId=<guid>,TimeStamp=<RFC 1123 date>],Write-ErrorMessage``; category
  NotSpecified; ``exception_type`` the Exchange exception; ``activity`` the cmdlet. Non-terminating.
  ``<code>`` is ``Ex6F9304`` for not-found (published); other codes are ``Ex`` + 6 hex digits
  derived from the exception type [assumption: real codes are per-error constants we do not know].
* **REST query** (Get-EXO*): ``Error while querying REST service. HttpStatusCode=<n>
  ErrorMessage={"error":{"code":...,"message":"<code>|<type>|<text>"}}``, exception
  ``Microsoft.Exchange.Management.RestApiClient.RestClientException``.
* **Graph** (Microsoft.Graph SDK v2): message ``<text>`` + ``Status: <n> (<reason>)`` +
  ``ErrorCode: <code>``; FullyQualifiedErrorId
  ``<code>,Microsoft.Graph.PowerShell.Cmdlets.<Verb><Noun>_<Set>``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orchestrator.sandbox.runtime import ErrorCategory, ErrorRecord

__all__ = [
    "ErrorContext",
    "already_exists",
    "ambiguous",
    "auth_aadsts",
    "auto_expanding_archive",
    "concurrent_shells",
    "context",
    "dirsync_dualwrite",
    "exo_error",
    "federated_managed_account",
    "graph_auth_needed",
    "graph_dirsync_readonly",
    "graph_error",
    "graph_group_license",
    "graph_not_found",
    "graph_throttled",
    "invalid_filter",
    "lifecycle_error",
    "mailbox_not_enabled_for_rest",
    "micro_delay_warning",
    "not_found",
    "on_hold",
    "rbac_parameter",
    "rest_query_error",
    "rest_transient",
    "soft_delete_period_running",
    "soft_deleted_user_exists",
    "throttled",
    "valid_license",
    "writing_scope",
]

_NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
_AMBIGUOUS = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"
_INVALID_OP = "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException"
_RECIPIENT_TASK = "Microsoft.Exchange.Management.Tasks.RecipientTaskException"
_USER_INPUT = "Microsoft.Exchange.Management.Tasks.UserInputInvalidException"
_REST_CLIENT = "Microsoft.Exchange.Management.RestApiClient.RestClientException"


@dataclass(frozen=True)
class ErrorContext:
    """Where and when the "service" raised the error."""

    server: str  # mailbox server short name, e.g. AM6PR04MB1234
    dc: str  # domain controller FQDN used in not-found texts
    request_id: uuid.UUID
    timestamp: datetime

    @property
    def stamp(self) -> str:
        return self.timestamp.strftime("%a, %d %b %Y %H:%M:%S GMT")


class _HasTenant(Protocol):
    @property
    def tenant(self) -> Any: ...


def context(source: Any) -> ErrorContext:
    """An ``ErrorContext`` from a SessionState, a Tenant or an ErrorContext."""
    if isinstance(source, ErrorContext):
        return source
    tenant = getattr(source, "tenant", None)
    tenant = tenant if tenant is not None and hasattr(tenant, "next_request_id") else source
    with tenant.transaction() as model:
        prefix = model.tenant.server_prefix
    region = prefix[:4] if len(prefix) >= 4 else prefix
    return ErrorContext(
        server=f"{prefix}MB{_digits(prefix)}",
        dc=f"{prefix}A001DC01.{region}A001.prod.outlook.com",
        request_id=tenant.next_request_id(),
        timestamp=tenant.now(),
    )


def _digits(text: str) -> int:
    return int(hashlib.blake2s(text.encode(), digest_size=2).hexdigest(), 16) % 9000 + 1000


def _code(exception_type: str) -> str:
    if exception_type == _NOT_FOUND:
        return "Ex6F9304"
    return "Ex" + hashlib.blake2s(exception_type.encode(), digest_size=3).hexdigest().upper()


def exo_error(source: Any, cmdlet: str, exception_type: str, text: str, *, target: Any = None) -> ErrorRecord:
    """The Write-ErrorMessage form of a REST-mode EXO error."""
    ctx = context(source)
    return ErrorRecord(
        message=f"{_code(exception_type)}|{exception_type}|{text}",
        fq_error_id=f"[Server={ctx.server},RequestId={ctx.request_id},TimeStamp={ctx.stamp}],Write-ErrorMessage",
        category=ErrorCategory.NotSpecified,
        exception_type=exception_type,
        target_object=target,
        activity=cmdlet,
    )


def rest_query_error(
    source: Any,
    cmdlet: str,
    status: int,
    code: str,
    exception_type: str | None,
    text: str,
    *,
    target: Any = None,
) -> ErrorRecord:
    """The Get-EXO* form: ``Error while querying REST service. HttpStatusCode=...``."""
    ctx = context(source)
    inner = f"{_code(exception_type)}|{exception_type}|{text}" if exception_type else text
    body = json.dumps({"error": {"code": code, "message": inner}}, separators=(",", ":"))
    noun = cmdlet.replace("-", "")
    return ErrorRecord(
        message=f"Error while querying REST service. HttpStatusCode={status} ErrorMessage={body} "
        f"Server={ctx.server},RequestId={ctx.request_id},TimeStamp={ctx.stamp}",
        fq_error_id=f"{_REST_CLIENT},Microsoft.Exchange.Management.RestApiClient.{noun}",
        category=ErrorCategory.ProtocolError if status >= 500 else ErrorCategory.NotSpecified,
        exception_type=_REST_CLIENT,
        target_object=target,
        activity=cmdlet,
    )


def _rest(cmdlet: str) -> bool:
    return cmdlet.lower().startswith("get-exo")


# --------------------------------------------------------------------------- §4 catalogue


def not_found(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 7: ``The operation couldn't be performed because object '<id>' couldn't be found on '<DC>'.``"""
    ctx = context(source)
    text = f"The operation couldn't be performed because object '{identity}' couldn't be found on '{ctx.dc}'."
    if _rest(cmdlet):
        return rest_query_error(ctx, cmdlet, 404, "NotFound", _NOT_FOUND, text, target=identity)
    return exo_error(ctx, cmdlet, _NOT_FOUND, text, target=identity)


def ambiguous(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 1: ``... because '<id>' matches multiple entries.`` (type inferred in the reference)."""
    text = f"The operation couldn't be performed because '{identity}' matches multiple entries."
    if _rest(cmdlet):
        return rest_query_error(source, cmdlet, 400, "BadRequest", _AMBIGUOUS, text, target=identity)
    return exo_error(source, cmdlet, _AMBIGUOUS, text, target=identity)


def soft_deleted_user_exists(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 2: the linked Entra user is still in the recycle bin."""
    text = (
        "The operation couldn't be performed because there is a soft deleted user; please remove the "
        "soft deleted user and then try again"
    )
    return exo_error(source, cmdlet, _INVALID_OP, text, target=identity)


def writing_scope(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 3: the object is mastered on-premises (IsDirSynced)."""
    text = "The operation couldn't be performed because it is outside the writing scope of this server"
    return exo_error(
        source, cmdlet, "Microsoft.Exchange.Data.Directory.ADScopeException", text, target=identity
    )


def rbac_parameter(source: Any, cmdlet: str, parameter: str) -> ErrorRecord:
    """Row 4: a parameter not in the caller's role definition."""
    text = (
        f'The "{parameter}" parameter can\'t be used on the "{cmdlet}" cmdlet because it isn\'t present in '
        "the role definition for the current user. Check the management roles assigned to you, and try again."
    )
    return exo_error(
        source, cmdlet, "Microsoft.Exchange.Configuration.Tasks.ParameterNotInRoleException", text
    )


def on_hold(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 5 (Learn's wording; the live text may differ)."""
    text = "Mailbox is placed on Litigation Hold or In-Place Hold and cannot be deleted"
    return exo_error(source, cmdlet, _RECIPIENT_TASK, text, target=identity)


def federated_managed_account(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 6: a managed (password) account requested in a federated domain."""
    text = (
        "The parameters passed to the cmdlet represent a managed account, which doesn't match the namespace "
        "state, which is federated."
    )
    return exo_error(source, cmdlet, _USER_INPUT, text, target=identity)


def valid_license(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 8: ``Cannot Disable-Mailbox for '<id>' because this user has a valid license.``"""
    text = f"Cannot Disable-Mailbox for '{identity}' because this user has a valid license."
    return exo_error(source, cmdlet, _RECIPIENT_TASK, text, target=identity)


def micro_delay_warning(actual_ms: int, capped_ms: int = 15000) -> str:
    """Row 9 (a warning text, not an error)."""
    return (
        f"Micro delay applied. Actual delayed: {actual_ms} msecs, Enforced: True, Capped delay: {capped_ms} "
        "msecs, "
        "Required: False, Additional info: .; BudgetType: PowerShell"
    )


def throttled(source: Any, cmdlet: str, backoff_ms: int) -> ErrorRecord:
    """Row 10: the throttling budget, with the suggested backoff."""
    text = (
        "This operation exceeds the throttling budget for policy part 'LocalTime', policy value '3000000', "
        f"Budget type: 'PowerShell'. Suggested backoff time {int(backoff_ms)} ms."
    )
    if _rest(cmdlet):
        return rest_query_error(
            source,
            cmdlet,
            429,
            "TooManyRequests",
            "Microsoft.Exchange.Data.Storage.OverBudgetException",
            text,
        )
    return exo_error(source, cmdlet, "Microsoft.Exchange.Data.Storage.OverBudgetException", text)


def concurrent_shells(user: str, limit: int = 3) -> str:
    """Row 11 (legacy RPS session limit; the endpoint's text)."""
    return (
        "Fail to create a runspace because you have exceeded the maximum number of connections allowed : "
        f"{limit}. "
        f"This user is allowed a maximum number of {limit} concurrent shells, which has been exceeded. Close "
        "existing shells or raise the quota for this user."
    )


def dirsync_dualwrite(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Row 12: EXO Set-* on a dir-synced object."""
    ctx = context(source)
    text = (
        "Error executing request. An Azure Active Directory call was made to keep object in sync between "
        "Azure "
        "Active Directory and Exchange Online. However, it failed. Detailed error message: Unable to update "
        "the "
        "specified properties for on-premises mastered Directory Sync objects or objects currently "
        "undergoing "
        f"migration. DualWrite (Graph) RequestId: {ctx.request_id} The issue may be transient and please "
        "retry a "
        "couple of minutes later. If issue persists, please see exception members for more information."
    )
    return exo_error(
        ctx, cmdlet, "Microsoft.Exchange.Data.Directory.ADTransientException", text, target=identity
    )


def rest_transient(source: Any, cmdlet: str) -> ErrorRecord:
    """Row 14: a transient service fault (ADTransientException behind a REST 500)."""
    ctx = context(source)
    text = (
        "The call to Microsoft Exchange Active Directory Topology service on server "
        "'TopologyClientTcpEndpoint "
        f"(localhost)' returned an error. Error details Active Directory server {ctx.dc} is not available. "
        "Error category: ServerDown. Please retry the operation."
    )
    if _rest(cmdlet):
        return rest_query_error(ctx, cmdlet, 500, "InternalServerError", None, text)
    return exo_error(ctx, cmdlet, "Microsoft.Exchange.Data.Directory.ADTransientException", text)


def already_exists(source: Any, cmdlet: str, what: str, value: str) -> ErrorRecord:
    """A name, alias or sign-in id already in use [assumed text]."""
    text = f'The {what} "{value}" is already being used. Please choose another {what}.'
    return exo_error(
        source, cmdlet, "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException", text, target=value
    )


def soft_delete_period_running(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """New-Mailbox -InactiveMailbox while ExternalDirectoryObjectId is set (§1.2) [assumed text]."""
    text = (
        f"The inactive mailbox '{identity}' can't be recovered because its soft-delete period hasn't "
        "expired. "
        "Restore the user account instead."
    )
    return exo_error(source, cmdlet, _RECIPIENT_TASK, text, target=identity)


def auto_expanding_archive(source: Any, cmdlet: str, identity: str) -> ErrorRecord:
    """Recover/restore refused for inactive mailboxes with an auto-expanding archive [assumed text]."""
    text = (
        f"The mailbox '{identity}' has an auto-expanding archive and can't be recovered or restored. Use "
        "content "
        "search and export instead."
    )
    return exo_error(source, cmdlet, _RECIPIENT_TASK, text, target=identity)


def invalid_filter(
    source: Any, cmdlet: str, filter_text: str, position: int, reason: str = ""
) -> ErrorRecord:
    """An OPATH filter the sandbox cannot parse, or a property it does not filter on."""
    detail = f" {reason}" if reason else ""
    text = (
        'Cannot bind parameter \'Filter\' to the target. Exception setting "Filter": "Invalid filter '
        "syntax. For a description of the filter parameter syntax see the command help.\n"
        f'"{filter_text}" at position {position}.'
        f'"{detail}'
    )
    if _rest(cmdlet):
        return rest_query_error(
            source, cmdlet, 400, "BadRequest", "Microsoft.Exchange.Data.InvalidFilterException", text
        )
    return exo_error(
        source, cmdlet, "Microsoft.Exchange.Data.InvalidFilterException", text, target=filter_text
    )


def auth_aadsts(
    cmdlet: str,
    code: int,
    text: str,
    *,
    exception_type: str = "Microsoft.Identity.Client.MsalServiceException",
) -> ErrorRecord:
    """Connect-* authentication failures (AADSTS errors from Entra ID); thrown as terminating."""
    return ErrorRecord(
        message=f"AADSTS{code}: {text}",
        fq_error_id=f"{exception_type.rsplit('.', 1)[-1]},{cmdlet}",
        category=ErrorCategory.AuthenticationError,
        exception_type=exception_type,
        activity=cmdlet,
    )


# --------------------------------------------------------------------------- Graph


def _graph_fq(cmdlet: str, variant: str) -> str:
    return "Microsoft.Graph.PowerShell.Cmdlets." + cmdlet.replace("-", "") + f"_{variant}"


def graph_error(
    source: Any,
    cmdlet: str,
    variant: str,
    status: int,
    reason: str,
    code: str,
    text: str,
    *,
    target: Any = None,
) -> ErrorRecord:
    """Graph SDK form: text, then ``Status: <n> (<reason>)``, ``ErrorCode: <code>``, date, headers."""
    ctx = context(source)
    message = (
        f"{text}\n\nStatus: {status} ({reason})\nErrorCode: {code}\nDate: "
        f"{ctx.timestamp:%Y-%m-%dT%H:%M:%S}\n\n"
        f"Headers:\nrequest-id                    : {ctx.request_id}\nclient-request-id             : "
        f"{ctx.request_id}\n"
    )
    category = {
        400: ErrorCategory.InvalidOperation,
        403: ErrorCategory.PermissionDenied,
        404: ErrorCategory.ObjectNotFound,
        429: ErrorCategory.LimitsExceeded,
    }.get(status, ErrorCategory.NotSpecified)
    return ErrorRecord(
        message=message,
        fq_error_id=f"{code},{_graph_fq(cmdlet, variant)}",
        category=category,
        exception_type="System.Exception",
        target_object=target,
        activity=f"{cmdlet}_{variant}",
    )


def graph_auth_needed(cmdlet: str, variant: str) -> ErrorRecord:
    """Any Graph cmdlet before Connect-MgGraph: ``Authentication needed. Please call Connect-MgGraph.``"""
    return ErrorRecord(
        message="Authentication needed. Please call Connect-MgGraph.",
        fq_error_id=f"Microsoft.Graph.PowerShell.AuthenticationException,{_graph_fq(cmdlet, variant)}",
        category=ErrorCategory.AuthenticationError,
        exception_type="System.Security.Authentication.AuthenticationException",
        activity=f"{cmdlet}_{variant}",
    )


def graph_not_found(source: Any, cmdlet: str, variant: str, identity: str) -> ErrorRecord:
    text = (
        f"Resource '{identity}' does not exist or one of its queried reference-property objects "
        "are not present."
    )
    return graph_error(
        source, cmdlet, variant, 404, "NotFound", "Request_ResourceNotFound", text, target=identity
    )


def graph_group_license(source: Any, cmdlet: str, variant: str, identity: str) -> ErrorRecord:
    """Row 16."""
    text = (
        "User license is inherited from a group membership and it cannot be removed directly from the user."
    )
    return graph_error(
        source, cmdlet, variant, 400, "BadRequest", "Request_BadRequest", text, target=identity
    )


def graph_dirsync_readonly(source: Any, cmdlet: str, variant: str, identity: str) -> ErrorRecord:
    """Row 13."""
    text = (
        "Unable to update the specified properties for on-premises mastered Directory Sync objects or "
        "objects "
        "currently undergoing migration."
    )
    return graph_error(
        source, cmdlet, variant, 400, "BadRequest", "Request_BadRequest", text, target=identity
    )


def graph_throttled(source: Any, cmdlet: str, variant: str, retry_after_s: int) -> ErrorRecord:
    """§3 Graph directory throttling: 429."""
    text = f"Too many requests. Retry after {retry_after_s} seconds."
    return graph_error(source, cmdlet, variant, 429, "TooManyRequests", "TooManyRequests", text)


def mailbox_not_enabled_for_rest(source: Any, cmdlet: str, variant: str, identity: str) -> ErrorRecord:
    """Row 17."""
    text = (
        "[MailboxNotEnabledForRESTAPI] : The mailbox is either inactive, soft-deleted, "
        "or is hosted on-premise."
    )
    return graph_error(
        source, cmdlet, variant, 404, "NotFound", "MailboxNotEnabledForRESTAPI", text, target=identity
    )


def lifecycle_error(source: Any, cmdlet: str, exc: Any) -> ErrorRecord:
    """The error record for a ``tenant.lifecycle.LifecycleError`` (one place maps refusals to texts)."""
    from orchestrator.sandbox.tenant.common import Refusal

    identity = str(exc.detail.get("identity") or exc.detail.get("upn") or exc.detail.get("name") or "")
    refusal = exc.refusal
    simple = {
        Refusal.NOT_FOUND: not_found,
        Refusal.NOT_SOFT_DELETED: not_found,
        Refusal.ON_HOLD: on_hold,
        Refusal.DIR_SYNCED: writing_scope,
        Refusal.SOFT_DELETED_USER_EXISTS: soft_deleted_user_exists,
        Refusal.FEDERATED_DOMAIN: federated_managed_account,
        Refusal.SOFT_DELETE_PERIOD_RUNNING: soft_delete_period_running,
        Refusal.AUTO_EXPANDING_ARCHIVE: auto_expanding_archive,
    }
    if refusal in simple:
        return simple[refusal](source, cmdlet, identity)
    if refusal is Refusal.ALREADY_EXISTS:
        return already_exists(source, cmdlet, "name", identity)
    return exo_error(source, cmdlet, _INVALID_OP, exc.message, target=identity or None)
