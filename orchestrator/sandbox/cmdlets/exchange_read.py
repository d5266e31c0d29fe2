"""Read-side Exchange Online cmdlets: Get-Mailbox, Get-EXOMailbox, Get-Recipient, Get-User,
Get-MailboxStatistics, Get-OrganizationConfig, Get-ManagementRoleAssignment.

Scopes follow §1.3: no switch = active mailboxes; ``-SoftDeletedMailbox`` = soft-deleted,
inactive and formerly inactive; ``-InactiveMailboxOnly`` = inactive; ``-IncludeInactiveMailbox`` =
active + inactive; ``-PublicFolder`` = public folder mailboxes (excluded otherwise). Disconnected
mailboxes are invisible to all of them (KB 3158794). A missing identity is the REST not-found
error (non-terminating); a ``$null`` -Identity returns everything (the documented hazard).
Results stop at -ResultSize (default 1000, with the service's warning when more exist).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.registry import SessionState, cmdlet
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime, ErrorCategory, ErrorRecord, PSObject
from orchestrator.sandbox.tenant.holds import org_in_place_holds
from orchestrator.sandbox.tenant.identity import identity_text, match_mailboxes, match_users
from orchestrator.sandbox.tenant.model import (
    Mailbox,
    MailboxState,
    RecipientTypeDetails,
    TenantModel,
    UserState,
)
from orchestrator.sandbox.tenant.opath import OpathError, compile_filter
from orchestrator.sandbox.tenant.views import (
    EXO_PROPERTY_SETS,
    GET_MAILBOX_PROPERTIES,
    MAILBOX_FILTERABLE,
    USER_FILTERABLE,
    mailbox_properties,
    size_text,
    user_properties,
)

__all__ = ["DEFAULT_RESULT_SIZE_WARNING", "MORE_RESULTS_WARNING", "mailbox_scope"]

DEFAULT_RESULT_SIZE_WARNING = (
    "By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number "
    "of "
    'items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending on the '
    "actual number of items, returning all items can take a long time and consume a large amount of memory. "
    "Also, we don't recommend storing the results in a variable. Instead, pipe the results to another task "
    "or "
    "script to perform batch changes."
)
MORE_RESULTS_WARNING = (
    "There are more results available than are currently displayed. To view them, increase the value for the "
    "ResultSize parameter."
)
_MAILBOX_TYPES = [
    "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient",
    "Microsoft.Exchange.Data.Directory.ADPresentationObject",
    "Microsoft.Exchange.Data.Directory.ConfigurableObject",
    "System.Object",
]
_EXO_MAILBOX_TYPES = ["Microsoft.Exchange.Management.RestApiClient.ExoMailbox", "System.Object"]
_NOT_IMPLEMENTED = (
    "OrganizationalUnit",
    "MailboxPlan",
    "Migration",
    "GroupMailbox",
    "Async",
    "Database",
    "Server",
)


def _unsupported(call: CmdletCall, runtime: CommandRuntime) -> bool:
    """Parameters the sandbox does not implement: an explicit error, never silently ignored."""
    for name in _NOT_IMPLEMENTED:
        if (
            call.has(name)
            and call.bound[name] not in (None, False)
            and not (hasattr(call.bound[name], "is_present") and not call.bound[name].is_present)
        ):
            runtime.write_error(
                ErrorRecord(
                    f"The sandbox does not implement -{name} on {call.name}.",
                    f"SandboxParameterNotImplemented,{call.name}",
                    ErrorCategory.NotImplemented,
                    "System.NotSupportedException",
                    activity=call.name,
                )
            )
            return True
    return False


def mailbox_scope(model: TenantModel, call: CmdletCall) -> Iterator[Mailbox]:
    """The mailboxes a Get-Mailbox/Get-EXOMailbox call can see, by its switches (§1.3)."""
    soft = call.switch("SoftDeletedMailbox")
    inactive_only = call.switch("InactiveMailboxOnly")
    include_inactive = call.switch("IncludeInactiveMailbox")
    public_folder = call.switch("PublicFolder")
    if inactive_only:
        states = {MailboxState.INACTIVE}
    elif soft:
        states = {MailboxState.SOFT_DELETED, MailboxState.INACTIVE, MailboxState.FORMERLY_INACTIVE}
    elif include_inactive:
        states = {MailboxState.ACTIVE, MailboxState.INACTIVE}
    else:
        states = {MailboxState.ACTIVE}
    archive_only = call.switch("Archive")
    for mbx in model.mailboxes.values():
        if mbx.state not in states:
            continue
        if (mbx.recipient_type_details is RecipientTypeDetails.PUBLIC_FOLDER_MAILBOX) != public_folder:
            continue
        if archive_only and mbx.archive_guid is None:
            continue
        yield mbx


def _result_size(call: CmdletCall) -> int | None:
    value = call.bound.get("ResultSize")
    if value is None:
        return 1000
    if isinstance(value, str) and value.lower() == "unlimited":
        return None
    return int(value)


def _limited(call: CmdletCall, runtime: CommandRuntime, items: Iterable[Any]) -> Iterator[Any]:
    limit = _result_size(call)
    for count, item in enumerate(items):
        if limit is not None and count >= limit:
            explicit = call.has("ResultSize") and call.bound.get("ResultSize") is not None
            runtime.write_warning(MORE_RESULTS_WARNING if explicit else DEFAULT_RESULT_SIZE_WARNING)
            return
        yield item


def _filter(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState, names: tuple[str, ...]
) -> Callable[[dict[str, Any]], bool] | None:
    """The compiled -Filter, ``(lambda _: True)`` without one, None after writing the error."""
    text = call.bound.get("Filter")
    if not text:
        return lambda _props: True
    try:
        return compile_filter(str(text), names)
    except OpathError as exc:
        runtime.write_error(errors.invalid_filter(session, call.name, str(text), exc.position, exc.reason))
        return None


def _type_filter(call: CmdletCall) -> set[str] | None:
    values = call.bound.get("RecipientTypeDetails")
    if not values:
        return None
    return {str(v).lower() for v in (values if isinstance(values, list) else [values])}


def _anr(call: CmdletCall, mbx: Mailbox) -> bool:
    anr = call.bound.get("Anr")
    if not anr:
        return True
    low = str(anr).lower()
    return any(
        k.lower().startswith(low) for k in (mbx.name, mbx.alias, mbx.display_name, mbx.primary_smtp_address)
    )


def _mailboxes(
    call: CmdletCall,
    runtime: CommandRuntime,
    session: SessionState,
    model: TenantModel,
    identity: Any,
    now: datetime,
) -> Iterator[dict[str, Any]]:
    """Matching mailboxes' property dicts (writes not-found/filter errors itself)."""
    predicate = _filter(call, runtime, session, MAILBOX_FILTERABLE)
    if predicate is None:
        return
    types = _type_filter(call)
    candidates: Iterable[Mailbox] = mailbox_scope(model, call)
    if identity is not None:
        candidates = match_mailboxes(identity, list(candidates))
        if not candidates:
            runtime.write_error(errors.not_found(session, call.name, identity_text(identity)))
            return
    for mbx in candidates:
        if types is not None and str(mbx.recipient_type_details).lower() not in types:
            continue
        if not _anr(call, mbx):
            continue
        props = mailbox_properties(model, mbx, now)
        if predicate(props):
            yield props


def _sorted(call: CmdletCall, items: Iterator[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    key = call.bound.get("SortBy")
    if not key:
        return items
    desc = str(key).startswith("-")
    name = str(key).lstrip("+-")
    return sorted(items, key=lambda p: (p.get(name) is None, str(p.get(name) or "").lower()), reverse=desc)


@cmdlet("Get-Mailbox", requires="exo")
def get_mailbox(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if _unsupported(call, runtime):
        return
    with session.tenant.transaction() as model:
        now = session.tenant.now()
        items = _mailboxes(call, runtime, session, model, call.bound.get("Identity"), now)
        for props in _limited(call, runtime, _sorted(call, items)):
            runtime.write_output(PSObject(props, _MAILBOX_TYPES, adapted=True))


def _exo_properties(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> set[str] | None:
    """Which properties Get-EXOMailbox returns: the named sets (default Minimum) plus -Properties."""
    sets = [str(s) for s in (call.bound.get("PropertySets") or ["Minimum"])]
    names: set[str] = set()
    all_known = {p for members in EXO_PROPERTY_SETS.values() for p in members}
    for s in sets:
        if s.lower() == "all":
            return None
        match = next((k for k in EXO_PROPERTY_SETS if k.lower() == s.lower()), None)
        if match is None:
            runtime.write_error(
                errors.rest_query_error(
                    session, call.name, 400, "BadRequest", None, f"Invalid PropertySet '{s}'."
                )
            )
            return set()
        names.update(EXO_PROPERTY_SETS[match])
    known_lower = {p.lower(): p for p in all_known | set(GET_MAILBOX_PROPERTIES)}
    for prop in call.bound.get("Properties") or []:
        canonical = known_lower.get(str(prop).lower())
        if canonical is None:
            runtime.write_error(
                errors.rest_query_error(
                    session,
                    call.name,
                    400,
                    "BadRequest",
                    None,
                    f"The property '{prop}' is not a valid property.",
                )
            )
            return set()
        names.add(canonical)
    return names


@cmdlet("Get-EXOMailbox", requires="exo")
def get_exo_mailbox(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Strict: properties not asked for are absent from the object (PSETS)."""
    if _unsupported(call, runtime):
        return
    wanted = _exo_properties(call, runtime, session)
    if wanted is not None and not wanted:
        return
    identity = next(
        (
            call.bound[p]
            for p in ("Identity", "ExternalDirectoryObjectId", "PrimarySmtpAddress", "UserPrincipalName")
            if call.bound.get(p) is not None
        ),
        None,
    )
    with session.tenant.transaction() as model:
        now = session.tenant.now()
        for props in _limited(call, runtime, _mailboxes(call, runtime, session, model, identity, now)):
            if wanted is None:
                shown = props
            else:
                shown = {k: v for k, v in props.items() if k in wanted}
                shown.update({k: None for k in wanted if k not in props})
            runtime.write_output(PSObject(shown, _EXO_MAILBOX_TYPES, adapted=True))


@cmdlet("Get-Recipient", requires="exo")
def get_recipient(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Mailbox recipients (active; plus soft-deleted with -IncludeSoftDeletedRecipients)."""
    if _unsupported(call, runtime):
        return
    predicate = _filter(call, runtime, session, MAILBOX_FILTERABLE)
    if predicate is None:
        return
    types = _type_filter(call)
    soft = call.switch("IncludeSoftDeletedRecipients")
    with session.tenant.transaction() as model:
        now = session.tenant.now()
        pool = [
            m
            for m in model.mailboxes.values()
            if m.state is MailboxState.ACTIVE or (soft and m.is_soft_deleted_kind)
        ]
        identity = call.bound.get("Identity")
        if identity is not None:
            pool = match_mailboxes(identity, pool)
            if not pool:
                runtime.write_error(errors.not_found(session, call.name, identity_text(identity)))
                return
        keep = (
            "Name", "Alias", "DisplayName", "Identity", "Id", "RecipientType", "RecipientTypeDetails",
            "PrimarySmtpAddress", "EmailAddresses", "ExternalDirectoryObjectId", "ExchangeGuid", "Guid",
            "DistinguishedName", "IsDirSynced", "WhenSoftDeleted", "LitigationHoldEnabled", "SKUAssigned",
            "ArchiveGuid", "ArchiveStatus", "WhenCreated", "OrganizationId", "ExchangeVersion",
        )  # fmt: skip

        def rows() -> Iterator[dict[str, Any]]:
            for mbx in pool:
                props = mailbox_properties(model, mbx, now)
                if (types is None or props["RecipientTypeDetails"].lower() in types) and predicate(props):
                    yield {k: props[k] for k in keep}

        for row in _limited(call, runtime, rows()):
            runtime.write_output(
                PSObject(
                    row,
                    ["Microsoft.Exchange.Data.Directory.Management.ReducedRecipient", "System.Object"],
                    adapted=True,
                )
            )


@cmdlet("Get-User", requires="exo")
def get_user(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Directory users known to Exchange (active ones); RecipientTypeDetails 'User' without a mailbox."""
    if _unsupported(call, runtime):
        return
    predicate = _filter(call, runtime, session, USER_FILTERABLE)
    if predicate is None:
        return
    types = _type_filter(call)
    with session.tenant.transaction() as model:
        users = [u for u in model.users.values() if u.state is UserState.ACTIVE]
        identity = call.bound.get("Identity")
        if identity is not None:
            names = {}
            for u in users:
                mbx = model.mailbox_of_user(u.object_id)
                if mbx is not None and mbx.state is MailboxState.ACTIVE:
                    names[u.object_id] = mbx.name
            users = match_users(identity, users, names)
            if not users:
                runtime.write_error(errors.not_found(session, call.name, identity_text(identity)))
                return

        def rows() -> Iterator[dict[str, Any]]:
            for user in users:
                props = user_properties(model, user, model.mailbox_of_user(user.object_id))
                if (types is None or props["RecipientTypeDetails"].lower() in types) and predicate(props):
                    yield props

        for row in _limited(call, runtime, rows()):
            runtime.write_output(
                PSObject(
                    row, ["Microsoft.Exchange.Data.Directory.Management.User", "System.Object"], adapted=True
                )
            )


@cmdlet("Get-MailboxStatistics", requires="exo")
def get_mailbox_statistics(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    identity = call.bound.get("Identity")
    if identity is None:
        runtime.write_error(errors.not_found(session, call.name, ""))
        return
    soft = call.switch("IncludeSoftDeletedRecipients")
    with session.tenant.transaction() as model:
        pool = [
            m
            for m in model.mailboxes.values()
            if m.state is MailboxState.ACTIVE or (soft and m.is_soft_deleted_kind)
        ]
        found = match_mailboxes(identity, pool)
        if not found:
            runtime.write_error(errors.not_found(session, call.name, identity_text(identity)))
            return
        for mbx in found:
            if call.switch("Archive") and mbx.archive_guid is None:
                runtime.write_error(
                    errors.not_found(session, call.name, f"{identity_text(identity)} (archive)")
                )
                continue
            runtime.write_output(
                PSObject(
                    {
                        "DisplayName": mbx.display_name,
                        "MailboxGuid": mbx.archive_guid if call.switch("Archive") else mbx.exchange_guid,
                        "ItemCount": mbx.item_count,
                        "TotalItemSize": size_text(mbx.total_item_size_bytes),
                        "DeletedItemCount": 0,
                        "TotalDeletedItemSize": size_text(0),
                        "IsArchiveMailbox": call.switch("Archive"),
                        "LastLogonTime": None,
                        "DisconnectDate": mbx.when_soft_deleted,
                        "DisconnectReason": "SoftDeleted" if mbx.is_soft_deleted_kind else None,
                        "MailboxTypeDetail": str(mbx.recipient_type_details),
                        "OwnerADGuid": mbx.guid,
                        "ExternalDirectoryOrganizationId": model.tenant.tenant_id,
                    },
                    [
                        "Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics",
                        "System.Object",
                    ],
                    adapted=True,
                )
            )


@cmdlet("Get-OrganizationConfig", requires="exo")
def get_organization_config(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """InPlaceHolds lists the enabled org-wide retention policies (§1.5)."""
    with session.tenant.transaction() as model:
        org = model.tenant.organization
        runtime.write_output(
            PSObject(
                {
                    "Name": org.split(".", 1)[0],
                    "DisplayName": model.tenant.display_name,
                    "Identity": org,
                    "Guid": model.tenant.tenant_id,
                    "InPlaceHolds": org_in_place_holds(model),
                    "IsDehydrated": False,
                    "OrganizationId": org,
                    "ExchangeVersion": "0.20 (15.0.0.0)",
                },
                ["Microsoft.Exchange.Data.Directory.Management.OrganizationConfig", "System.Object"],
                adapted=True,
            )
        )


@cmdlet("Get-ManagementRoleAssignment", requires="exo")
def get_management_role_assignment(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    role = call.bound.get("Role")
    assignee = call.bound.get("RoleAssignee")
    enabled = call.bound.get("Enabled")
    identity = call.bound.get("Identity")
    with session.tenant.transaction() as model:
        rows = [
            a
            for a in model.role_assignments.values()
            if (identity is None or a.name.lower() == identity_text(identity).lower())
            and (role is None or a.role.lower() == identity_text(role).lower())
            and (assignee is None or a.assignee.lower() == identity_text(assignee).lower())
            and (enabled is None or a.enabled == bool(enabled))
        ]
        if identity is not None and not rows:
            runtime.write_error(errors.not_found(session, call.name, identity_text(identity)))
            return
        for a in rows:
            runtime.write_output(
                PSObject(
                    {
                        "Name": a.name,
                        "Identity": a.name,
                        "Role": a.role,
                        "RoleAssignee": a.assignee,
                        "RoleAssigneeName": a.assignee,
                        "RoleAssigneeType": "ServicePrincipal",
                        "AssignmentMethod": "Direct",
                        "Enabled": a.enabled,
                        "RecipientWriteScope": "Organization",
                        "ConfigWriteScope": "OrganizationConfig",
                    },
                    [
                        "Microsoft.Exchange.Data.Directory.Management.ExchangeRoleAssignmentPresentation",
                        "System.Object",
                    ],
                    adapted=True,
                )
            )
