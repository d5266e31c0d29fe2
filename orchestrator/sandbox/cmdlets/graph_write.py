"""Microsoft Graph write cmdlets: Remove-MgUser, Restore-/Remove-MgDirectoryDeletedItem,
Set-MgUserLicense, New-MgUser, Update-MgUser.

They change the directory through ``tenant.lifecycle``, and the mailbox follows (§1.2, §3):
deleting a licensed user soft-deletes its mailbox (inactive if held), purging the user leaves an
orphan with an empty ExternalDirectoryObjectId (B-PURGE), restoring the user within 30 days
reconnects the mailbox if the user is licensed [inferred], removing the Exchange licence
disconnects the mailbox for 30 days and adding it back reconnects after the provisioning delay
(KB 3158794).

Errors have the Graph SDK form (``errors.graph_error``): non-terminating, fq id
``<ErrorCode>,Microsoft.Graph.PowerShell.Cmdlets.<VerbNoun>_<ParameterSet>``. Graph cmdlets are
``ConfirmImpact=Medium``: they do not prompt under the default ``$ConfirmPreference`` (High), only
with an explicit ``-Confirm`` (which fails in a host-less runspace, see ``write_support``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.graph_read import graph_user_properties
from orchestrator.sandbox.cmdlets.registry import SessionState, cmdlet, require_graph
from orchestrator.sandbox.cmdlets.write_support import LifecycleError, changed, parse_guid, run_transition
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime, ErrorRecord, Hashtable, PSObject
from orchestrator.sandbox.tenant import lifecycle
from orchestrator.sandbox.tenant.model import AssignedLicense, MailboxState, TenantModel, User, UserState

__all__ = [
    "PROXY_CONFLICT",
    "UPN_CONFLICT",
    "new_mg_user",
    "remove_mg_directory_deleted_item",
    "remove_mg_user",
    "restore_mg_directory_deleted_item",
    "set_mg_user_license",
    "update_mg_user",
]

_MODELS = "Microsoft.Graph.PowerShell.Models."
PROXY_CONFLICT = "Another object with the same value for property proxyAddresses already exists."
UPN_CONFLICT = "Another object with the same value for property userPrincipalName already exists."


T = TypeVar("T")


def _obj(kind: str, props: dict[str, Any]) -> PSObject:
    return PSObject(props, [_MODELS + kind, "System.Object"], adapted=True)


def _bad_request(session: SessionState, call: CmdletCall, text: str, target: Any = None) -> ErrorRecord:
    return errors.graph_error(
        session, call.name, call.parameter_set, 400, "BadRequest", "Request_BadRequest", text, target=target
    )


def _not_found(session: SessionState, call: CmdletCall, ref: str) -> ErrorRecord:
    return errors.graph_not_found(session, call.name, call.parameter_set, ref)


def _reference(call: CmdletCall, parameter: str) -> str:
    """The id a Graph cmdlet addresses: its id parameter, or the piped -InputObject's id."""
    value = call.bound.get(parameter)
    if value is None:
        value = call.bound.get("InputObject")
    if isinstance(value, PSObject | Hashtable | Mapping):
        for key in (parameter, "Id", "UserId", "DirectoryObjectId"):
            found = value.get(key)
            if found not in (None, ""):
                return str(found)
        return ""
    return "" if value is None else str(value)


def _user(model: TenantModel, ref: str, state: UserState, *, by_upn: bool) -> User | None:
    guid = parse_guid(ref)
    for user in model.users.values():
        if user.state is not state:
            continue
        if guid is not None and user.object_id == guid:
            return user
        if guid is None and by_upn and user.user_principal_name.lower() == ref.lower():
            return user
    return None


def _graph_refusal(session: SessionState, call: CmdletCall, ref: str, exc: LifecycleError) -> ErrorRecord:
    """A lifecycle refusal in Graph's words."""
    refusal = exc.refusal
    if refusal is lifecycle.Refusal.DIR_SYNCED:
        return errors.graph_dirsync_readonly(session, call.name, call.parameter_set, ref)  # §4 row 13
    if refusal is lifecycle.Refusal.GROUP_LICENSE:
        return errors.graph_group_license(session, call.name, call.parameter_set, ref)  # §4 row 16
    if refusal in (lifecycle.Refusal.NOT_FOUND, lifecycle.Refusal.NOT_IN_RECYCLE_BIN):
        return _not_found(session, call, ref)
    if refusal is lifecycle.Refusal.ALREADY_EXISTS:
        return _bad_request(session, call, UPN_CONFLICT, ref)
    if refusal is lifecycle.Refusal.LICENSE_NOT_ASSIGNED:
        return _bad_request(session, call, "User does not have a corresponding license.", ref)
    if refusal is lifecycle.Refusal.SKU_NOT_FOUND:
        sku = exc.detail.get("sku", "")
        return _bad_request(
            session, call, f"License {sku} does not correspond to a valid company License.", ref
        )
    if refusal is lifecycle.Refusal.FEDERATED_DOMAIN:
        return _bad_request(
            session,
            call,
            "The domain portion of the userPrincipalName property is invalid. You must use one of the "
            "verified domain names in your organization.",
            ref,
        )
    return _bad_request(session, call, exc.message, ref)


# --------------------------------------------------------------------------- Remove-MgUser


def _graph_change(
    model: TenantModel,
    call: CmdletCall,
    runtime: CommandRuntime,
    session: SessionState,
    ref: str,
    operation: str,
    change: Callable[[TenantModel], T],
) -> T | None:
    """Apply one directory change as the Graph SDK does: ShouldProcess on "Call remote '<op>'
    operation" (medium impact: no prompt by default), a refusal written as a Graph error.
    ``None`` when nothing changed (refused, or -WhatIf)."""
    try:
        return run_transition(
            model,
            call,
            change,
            high_impact=False,
            command=call.name,
            description=f'Performing the operation "{call.name}_{call.parameter_set}" on target '
            f"\"Call remote '{operation}' operation\".",
        )
    except LifecycleError as exc:
        runtime.write_error(_graph_refusal(session, call, ref, exc))
        return None


def _change_one_user(
    call: CmdletCall,
    runtime: CommandRuntime,
    session: SessionState,
    *,
    parameter: str,
    state: UserState,
    by_upn: bool,
    change: Callable[[TenantModel, uuid.UUID, datetime], object],
    operation: str,
) -> None:
    """What every "find one user, apply one lifecycle change" Graph cmdlet does: resolve the
    user in the expected state, run the change (ShouldProcess, refusals as Graph errors), and
    honour ``-PassThru``."""
    if not require_graph(session, call, runtime):
        return
    ref = _reference(call, parameter)
    tenant = session.tenant
    with tenant.transaction() as model:
        user = _user(model, ref, state, by_upn=by_upn)
        if user is None:
            runtime.write_error(_not_found(session, call, ref))
            return
        now, oid = tenant.now(), user.object_id
        done = _graph_change(
            model,
            call,
            runtime,
            session,
            ref,
            operation,
            changed(lambda m: change(m, oid, now)),
        )
        if done and call.switch("PassThru"):
            runtime.write_output(True)


@cmdlet("Remove-MgUser", requires="graph")
def remove_mg_user(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Soft-delete a user to the recycle bin; a licensed mailbox becomes soft-deleted or inactive
    (§1.2), a licence-removed one stays disconnected and invisible (KB 3158794)."""
    _change_one_user(
        call, runtime, session, parameter="UserId", state=UserState.ACTIVE, by_upn=True,
        change=lifecycle.delete_user, operation="DeleteUser",
    )  # fmt: skip


# --------------------------------------------------------------------------- deleted items


def _body(call: CmdletCall) -> Mapping[str, Any]:
    body = call.bound.get("BodyParameter")
    if isinstance(body, PSObject):
        return body.properties
    return body if isinstance(body, Mapping) else {}


def _proxy_conflicts(model: TenantModel, user: User) -> list[str]:
    """The restored user's (and mailbox's) SMTP addresses another live object already has."""
    mbx = model.mailbox_of_user(user.object_id)
    mine = {p.split(":", 1)[-1].lower() for p in user.proxy_addresses if p.lower().startswith("smtp:")}
    if mbx is not None:
        mine |= {a.split(":", 1)[-1].lower() for a in mbx.email_addresses if a.lower().startswith("smtp:")}
    taken: set[str] = set()
    for other in model.mailboxes.values():
        if other is mbx or other.state is not MailboxState.ACTIVE:
            continue
        taken |= {a.split(":", 1)[-1].lower() for a in other.email_addresses if a.lower().startswith("smtp:")}
    for u in model.users.values():
        if u is user or u.state is not UserState.ACTIVE:
            continue
        taken |= {p.split(":", 1)[-1].lower() for p in u.proxy_addresses}
        if u.mail:
            taken.add(u.mail.lower())
    return sorted(mine & taken)


def reconcile_proxies(model: TenantModel, user: User, conflicts: list[str]) -> None:
    """``autoReconcileProxyConflict``: drop the conflicting addresses from the restored objects
    [inferred: Graph removes them from the restored object, keeping the live one's]."""
    lowered = set(conflicts)
    user.proxy_addresses = [p for p in user.proxy_addresses if p.split(":", 1)[-1].lower() not in lowered]
    model.touch(user)
    mbx = model.mailbox_of_user(user.object_id)
    if mbx is not None:
        kept = [a for a in mbx.email_addresses if a.split(":", 1)[-1].lower() not in lowered]
        if not any(a.startswith("SMTP:") for a in kept):
            fallback = f"{mbx.alias}@{model.tenant.organization}"
            kept = [f"SMTP:{fallback}", *[a for a in kept if a.lower() != f"smtp:{fallback.lower()}"]]
            mbx.primary_smtp_address = fallback
        mbx.email_addresses = kept
        model.touch(mbx)


@cmdlet("Restore-MgDirectoryDeletedItem", requires="graph")
def restore_mg_directory_deleted_item(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState
) -> None:
    """Restore a user from the recycle bin within 30 days (§3 "Recycle bin", KB 3158794).

    The restored user is cloud-only; its mailbox reconnects if it is licensed for Exchange. A
    proxy address another object now has fails the restore unless the body asks for
    ``autoReconcileProxyConflict`` (-AutoReconcileProxyConflict itself is not in the catalog).
    """
    if not require_graph(session, call, runtime):
        return
    ref = _reference(call, "DirectoryObjectId")
    body = {str(k).lower(): v for k, v in _body(call).items()}
    reconcile = bool(body.get("autoreconcileproxyconflict", False))
    new_upn = body.get("newuserprincipalname")
    tenant = session.tenant
    with tenant.transaction() as model:
        user = _user(model, ref, UserState.RECYCLE_BIN, by_upn=False)
        if user is None:
            runtime.write_error(_not_found(session, call, ref))
            return
        conflicts = _proxy_conflicts(model, user)
        if conflicts and not reconcile:
            runtime.write_error(_bad_request(session, call, PROXY_CONFLICT, ref))
            return
        now, oid = tenant.now(), user.object_id

        def restore(m: TenantModel) -> User:
            restored = m.users[oid]
            if conflicts:
                reconcile_proxies(m, restored, conflicts)
            return lifecycle.restore_user(m, oid, now, new_upn=str(new_upn) if new_upn else None)

        result = _graph_change(
            model,
            call,
            runtime,
            session,
            ref,
            "RestoreDirectoryDeletedItem",
            restore,
        )
        if result is not None:
            props = graph_user_properties(model, result)
            runtime.write_output(
                _obj(
                    "MicrosoftGraphDirectoryObject",
                    {
                        "Id": props["Id"],
                        "DeletedDateTime": None,
                        "AdditionalProperties": Hashtable(
                            {
                                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity",
                                "@odata.type": "#microsoft.graph.user",
                                "userPrincipalName": result.user_principal_name,
                                "displayName": result.display_name,
                                "mail": result.mail,
                            }
                        ),
                    },
                )
            )


@cmdlet("Remove-MgDirectoryDeletedItem", requires="graph")
def remove_mg_directory_deleted_item(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState
) -> None:
    """Hard-delete a user from the recycle bin. The mailbox stays soft-deleted/inactive with an
    empty ExternalDirectoryObjectId (§1.2, B-PURGE); a disconnected mailbox is lost (KB 3158794)."""
    _change_one_user(
        call, runtime, session, parameter="DirectoryObjectId", state=UserState.RECYCLE_BIN, by_upn=False,
        change=lifecycle.purge_user, operation="DeleteDirectoryDeletedItem",
    )  # fmt: skip


# --------------------------------------------------------------------------- licences


def _license_lists(call: CmdletCall) -> tuple[list[Any] | None, list[Any] | None]:
    if "BodyParameter" in call.bound:
        body = {str(k).lower(): v for k, v in _body(call).items()}
        return _as_list(body.get("addlicenses")), _as_list(body.get("removelicenses"))
    return _as_list(call.bound.get("AddLicenses")), _as_list(call.bound.get("RemoveLicenses"))


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    return list(value) if isinstance(value, list | tuple) else [value]


def _assigned(item: Any) -> AssignedLicense | str:
    """One ``@{SkuId=...; DisabledPlans=@(...)}``; a str is the invalid value."""
    getter = item.get if isinstance(item, PSObject | Mapping) else None
    if getter is None:
        return str(item)
    sku = parse_guid(getter("SkuId") if getter("SkuId") is not None else getter("skuId"))
    if sku is None:
        return str(getter("SkuId"))
    plans = [parse_guid(p) for p in _as_list(getter("DisabledPlans")) or []]
    if any(p is None for p in plans):
        return str(getter("DisabledPlans"))
    return AssignedLicense(sku, [p for p in plans if p is not None])


@cmdlet("Set-MgUserLicense", requires="graph")
def set_mg_user_license(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Add/remove licences (§3). Graph's ``assignLicense`` needs both lists (empty is fine);
    removing a group-inherited licence is refused (§4 row 16); removing the Exchange licence
    disconnects the mailbox for 30 days; adding it back reconnects after the provisioning delay."""
    if not require_graph(session, call, runtime):
        return
    ref = _reference(call, "UserId")
    add, remove = _license_lists(call)
    for name, value in (("addLicenses", add), ("removeLicenses", remove)):
        if value is None:
            runtime.write_error(
                _bad_request(
                    session, call, f"Invalid value specified for property '{name}' of resource 'User'."
                )
            )
            return
    assert add is not None and remove is not None
    licences = [_assigned(item) for item in add]
    removals = [parse_guid(v) for v in remove]
    if any(isinstance(lic, str) for lic in licences) or any(r is None for r in removals):
        runtime.write_error(
            _bad_request(
                session, call, "Invalid value specified for property 'skuId' of resource 'AssignedLicense'."
            )
        )
        return
    tenant = session.tenant
    with tenant.transaction() as model:
        user = _user(model, ref, UserState.ACTIVE, by_upn=True)
        if user is None:
            runtime.write_error(_not_found(session, call, ref))
            return
        now, oid = tenant.now(), user.object_id
        adds = [lic for lic in licences if isinstance(lic, AssignedLicense)]
        drops = [r for r in removals if r is not None]
        done = _graph_change(
            model,
            call,
            runtime,
            session,
            ref,
            "AssignLicense",
            changed(lambda m: lifecycle.assign_licenses(m, oid, now, add=adds, remove=drops)),
        )
        if done:
            runtime.write_output(_obj("MicrosoftGraphUser", graph_user_properties(model, model.users[oid])))


# --------------------------------------------------------------------------- New-/Update-MgUser


@cmdlet("New-MgUser", requires="graph")
def new_mg_user(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """A cloud user (no licence: no mailbox until one is assigned). Graph requires accountEnabled,
    displayName, mailNickname, userPrincipalName and passwordProfile."""
    if not require_graph(session, call, runtime):
        return
    body = {str(k).lower(): v for k, v in _body(call).items()}

    def get(name: str) -> Any:
        return call.bound.get(name, body.get(name.lower()))

    for required in ("AccountEnabled", "DisplayName", "MailNickname", "UserPrincipalName", "PasswordProfile"):
        if get(required) in (None, ""):
            prop = required[0].lower() + required[1:]
            runtime.write_error(
                _bad_request(
                    session, call, f"Invalid value specified for property '{prop}' of resource 'User'."
                )
            )
            return
    upn = str(get("UserPrincipalName"))
    tenant = session.tenant
    with tenant.transaction() as model:
        now = tenant.now()
        user = _graph_change(
            model,
            call,
            runtime,
            session,
            upn,
            "CreateUser",
            lambda m: lifecycle.create_user(
                m, now, upn=upn, display_name=str(get("DisplayName")), mail=get("Mail")
            ),
        )
        if user is not None:
            user.account_enabled = bool(get("AccountEnabled"))
            model.touch(user)
            runtime.write_output(_obj("MicrosoftGraphUser", graph_user_properties(model, user)))


#: Properties Update-MgUser simulates (others are refused, never ignored).
_UPDATABLE = {"displayname": "display_name", "accountenabled": "account_enabled"}


@cmdlet("Update-MgUser", requires="graph")
def update_mg_user(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """DisplayName / AccountEnabled; refused for dir-synced users (§4 row 13)."""
    if not require_graph(session, call, runtime):
        return
    ref = _reference(call, "UserId")
    changes = {str(k).lower(): v for k, v in _body(call).items()}
    for name in ("DisplayName", "AccountEnabled"):
        if name in call.bound:
            changes[name.lower()] = call.bound[name]
    skip = {"userid", "inputobject", "bodyparameter", "confirm", "whatif", "headers", "passthru"}
    others = [k for k in call.bound if k.lower() not in skip and k.lower() not in _UPDATABLE]
    others = [k for k in others if k not in ("ErrorAction", "WarningAction", "Verbose", "Debug")]
    others += [k for k in changes if k not in _UPDATABLE]
    if others:
        runtime.write_error(
            _bad_request(
                session, call, f"The sandbox does not simulate Update-MgUser for: {', '.join(others)}."
            )
        )
        return
    tenant = session.tenant
    with tenant.transaction() as model:
        user = _user(model, ref, UserState.ACTIVE, by_upn=True)
        if user is None:
            runtime.write_error(_not_found(session, call, ref))
            return
        if user.dir_synced:
            runtime.write_error(errors.graph_dirsync_readonly(session, call.name, call.parameter_set, ref))
            return
        if call.switch("WhatIf"):
            return
        for key, value in changes.items():
            setattr(user, _UPDATABLE[key], bool(value) if key == "accountenabled" else str(value))
        model.touch(user)
        if call.switch("PassThru"):
            runtime.write_output(True)
