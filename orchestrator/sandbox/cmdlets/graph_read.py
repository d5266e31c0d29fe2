"""Read-side Microsoft Graph cmdlets: Get-MgUser, Get-MgDirectoryDeletedItemAsUser,
Get-MgDirectoryDeletedItem, Get-MgSubscribedSku, Get-MgDomain, Get-MgUserLicenseDetail.

They exist before Connect-MgGraph but fail with "Authentication needed. Please call
Connect-MgGraph." (``require_graph``). Objects carry Graph property names. As with the service,
list calls return one page (100) unless ``-All`` or ``-Top``; ``-Property`` selects properties and
the others are ``$null`` on the returned model object (Graph's default ``$select`` otherwise).
Deleted users show the recycle-bin form of their UPN (object id without dashes + UPN).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.registry import SessionState, cmdlet, require_graph
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime, ErrorCategory, ErrorRecord, PSObject
from orchestrator.sandbox.tenant.model import Sku, TenantModel, User, UserState
from orchestrator.sandbox.tenant.odata import ODataError, compile_odata

__all__ = ["USER_DEFAULT_SELECT", "graph_user_properties"]

_MODELS = "Microsoft.Graph.PowerShell.Models."
USER_DEFAULT_SELECT = (
    "BusinessPhones", "DisplayName", "GivenName", "JobTitle", "Mail", "MobilePhone", "OfficeLocation",
    "PreferredLanguage", "Surname", "UserPrincipalName", "Id",
)  # fmt: skip
_PAGE = 100
_PLAN_NAMES = {
    "Plan1": "EXCHANGE_S_STANDARD",
    "Plan2": "EXCHANGE_S_ENTERPRISE",
    "Kiosk": "EXCHANGE_S_DESKLESS",
}


def _obj(kind: str, props: dict[str, Any]) -> PSObject:
    return PSObject(props, [_MODELS + kind, "System.Object"], adapted=True)


def _assigned(model: TenantModel, user: User) -> list[PSObject]:
    return [
        _obj(
            "MicrosoftGraphAssignedLicense",
            {"SkuId": str(lic.sku_id), "DisabledPlans": [str(p) for p in lic.disabled_plans]},
        )
        for lic, _group in model.effective_licenses(user)
    ]


def graph_user_properties(model: TenantModel, user: User) -> dict[str, Any]:
    deleted = user.state is UserState.RECYCLE_BIN
    upn = f"{user.object_id.hex}{user.user_principal_name}" if deleted else user.user_principal_name
    states = [
        _obj(
            "MicrosoftGraphLicenseAssignmentState",
            {
                "SkuId": str(lic.sku_id),
                "AssignedByGroup": str(group.object_id) if group else None,
                "State": "Active",
            },
        )
        for lic, group in model.effective_licenses(user)
    ]
    return {
        "Id": str(user.object_id),
        "UserPrincipalName": upn,
        "DisplayName": user.display_name,
        "GivenName": None,
        "Surname": None,
        "Mail": user.mail,
        "BusinessPhones": [],
        "MobilePhone": None,
        "JobTitle": None,
        "OfficeLocation": None,
        "PreferredLanguage": None,
        "AccountEnabled": user.account_enabled,
        "AssignedLicenses": _assigned(model, user),
        "LicenseAssignmentStates": states,
        "OnPremisesSyncEnabled": True if user.dir_synced else None,
        "DeletedDateTime": user.deleted_at,
        "CreatedDateTime": user.created,
        "ProxyAddresses": list(user.proxy_addresses),
        "UserType": "Member",
    }


def _bad_request(session: SessionState, call: CmdletCall, text: str) -> ErrorRecord:
    return errors.graph_error(
        session, call.name, call.parameter_set, 400, "BadRequest", "Request_BadRequest", text
    )


def _selected(call: CmdletCall, props: dict[str, Any], default: Iterable[str]) -> dict[str, Any] | str:
    """Apply -Property: unselected properties become None. Returns an error text for unknown names."""
    wanted = call.bound.get("Property")
    names = {n.lower() for n in default} if not wanted else set()
    lookup = {k.lower(): k for k in props}
    for raw in wanted or []:
        for name in str(raw).split(","):
            key = name.strip().lower()
            if key not in lookup:
                return f"Could not find a property named '{name.strip()}' on type 'microsoft.graph.user'."
            names.add(key)
    names.add("id")
    return {k: (v if k.lower() in names else None) for k, v in props.items()}


def _unsupported(call: CmdletCall, runtime: CommandRuntime, names: Iterable[str]) -> bool:
    for name in names:
        if call.bound.get(name) not in (None, False):
            runtime.write_error(
                ErrorRecord(
                    f"The sandbox does not implement -{name} on {call.name}.",
                    f"SandboxParameterNotImplemented,{call.name}",
                    ErrorCategory.NotImplemented,
                    "System.NotSupportedException",
                    activity=f"{call.name}_{call.parameter_set}",
                )
            )
            return True
    return False


def _list_users(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState, model: TenantModel, users: list[User]
) -> None:
    rows = [graph_user_properties(model, u) for u in users]
    text = call.bound.get("Filter")
    if text:
        try:
            pred = compile_odata(
                str(text), rows[0].keys() if rows else (*USER_DEFAULT_SELECT, "AccountEnabled")
            )
        except ODataError as exc:
            runtime.write_error(_bad_request(session, call, str(exc)))
            return
        rows = [r for r in rows if pred(r)]
    if call.switch("All"):
        limit = None
    elif call.bound.get("Top") is not None:
        limit = int(call.bound["Top"])
    else:
        limit = _PAGE
    for row in rows[:limit] if limit is not None else rows:
        shown = _selected(
            call, row, USER_DEFAULT_SELECT + (("DeletedDateTime",) if row["DeletedDateTime"] else ())
        )
        if isinstance(shown, str):
            runtime.write_error(_bad_request(session, call, shown))
            return
        runtime.write_output(_obj("MicrosoftGraphUser", shown))


_UNSUPPORTED_LIST = ("Search", "Sort", "CountVariable", "ExpandProperty", "InputObject", "Skip")


@cmdlet("Get-MgUser", requires="graph")
def get_mg_user(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if not require_graph(session, call, runtime) or _unsupported(call, runtime, _UNSUPPORTED_LIST):
        return
    with session.tenant.transaction() as model:
        user_id = call.bound.get("UserId")
        if user_id is not None:
            user = _find_user(model, str(user_id), UserState.ACTIVE)
            if user is None:
                runtime.write_error(
                    errors.graph_not_found(session, call.name, call.parameter_set, str(user_id))
                )
                return
            shown = _selected(call, graph_user_properties(model, user), USER_DEFAULT_SELECT)
            if isinstance(shown, str):
                runtime.write_error(_bad_request(session, call, shown))
            else:
                runtime.write_output(_obj("MicrosoftGraphUser", shown))
            return
        _list_users(
            call, runtime, session, model, [u for u in model.users.values() if u.state is UserState.ACTIVE]
        )


def _find_user(model: TenantModel, ref: str, state: UserState) -> User | None:
    try:
        guid: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        guid = None
    for user in model.users.values():
        if user.state is not state:
            continue
        if guid is not None and user.object_id == guid:
            return user
        if guid is None and user.user_principal_name.lower() == ref.lower():
            return user
    return None


@cmdlet("Get-MgDirectoryDeletedItemAsUser", requires="graph")
def get_mg_directory_deleted_item_as_user(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState
) -> None:
    """Users in the recycle bin (30 days, §3)."""
    if not require_graph(session, call, runtime) or _unsupported(call, runtime, _UNSUPPORTED_LIST):
        return
    with session.tenant.transaction() as model:
        ref = call.bound.get("DirectoryObjectId")
        if ref is not None:
            user = _find_user(model, str(ref), UserState.RECYCLE_BIN)
            if user is None:
                runtime.write_error(errors.graph_not_found(session, call.name, call.parameter_set, str(ref)))
                return
            shown = _selected(
                call, graph_user_properties(model, user), (*USER_DEFAULT_SELECT, "DeletedDateTime")
            )
            if isinstance(shown, str):
                runtime.write_error(_bad_request(session, call, shown))
            else:
                runtime.write_output(_obj("MicrosoftGraphUser", shown))
            return
        deleted = [u for u in model.users.values() if u.state is UserState.RECYCLE_BIN]
        _list_users(call, runtime, session, model, deleted)


@cmdlet("Get-MgDirectoryDeletedItem", requires="graph")
def get_mg_directory_deleted_item(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if not require_graph(session, call, runtime) or _unsupported(
        call, runtime, ("InputObject", "ExpandProperty")
    ):
        return
    ref = str(call.bound.get("DirectoryObjectId") or "")
    with session.tenant.transaction() as model:
        user = _find_user(model, ref, UserState.RECYCLE_BIN)
        if user is None:
            runtime.write_error(errors.graph_not_found(session, call.name, call.parameter_set, ref))
            return
        props = graph_user_properties(model, user)
        runtime.write_output(
            _obj(
                "MicrosoftGraphDirectoryObject",
                {
                    "Id": props["Id"],
                    "DeletedDateTime": user.deleted_at,
                    "AdditionalProperties": {
                        "@odata.type": "#microsoft.graph.user",
                        "userPrincipalName": props["UserPrincipalName"],
                        "displayName": user.display_name,
                        "mail": user.mail,
                    },
                },
            )
        )


def _sku_props(model: TenantModel, sku: Sku) -> dict[str, Any]:
    consumed = sum(
        1
        for u in model.users.values()
        if u.state is UserState.ACTIVE
        and any(lic.sku_id == sku.sku_id for lic, _ in model.effective_licenses(u))
    )
    plans = []
    if sku.exchange_plan is not None:
        plans.append(
            _obj(
                "MicrosoftGraphServicePlanInfo",
                {
                    "ServicePlanId": str(sku.exchange_plan_id) if sku.exchange_plan_id else None,
                    "ServicePlanName": _PLAN_NAMES.get(sku.exchange_plan, "EXCHANGE_S_ENTERPRISE"),
                    "ProvisioningStatus": "Success",
                    "AppliesTo": "User",
                },
            )
        )
    if sku.includes_archiving:
        plans.append(
            _obj(
                "MicrosoftGraphServicePlanInfo",
                {
                    "ServicePlanId": None,
                    "ServicePlanName": "EXCHANGE_S_ARCHIVE_ADDON",
                    "ProvisioningStatus": "Success",
                    "AppliesTo": "User",
                },
            )
        )
    return {
        "Id": f"{model.tenant.tenant_id}_{sku.sku_id}",
        "SkuId": str(sku.sku_id),
        "SkuPartNumber": sku.part_number,
        "AppliesTo": "User",
        "CapabilityStatus": "Enabled",
        "ConsumedUnits": consumed,
        "PrepaidUnits": _obj(
            "MicrosoftGraphLicenseUnitsDetail", {"Enabled": sku.prepaid_units, "Suspended": 0, "Warning": 0}
        ),
        "ServicePlans": plans,
    }


@cmdlet("Get-MgSubscribedSku", requires="graph")
def get_mg_subscribed_sku(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if not require_graph(session, call, runtime) or _unsupported(
        call, runtime, (*_UNSUPPORTED_LIST, "Filter")
    ):
        return
    with session.tenant.transaction() as model:
        ref = call.bound.get("SubscribedSkuId")
        skus = list(model.skus.values())
        if ref is not None:
            skus = [
                s for s in skus if str(ref).lower() in (f"{model.tenant.tenant_id}_{s.sku_id}", str(s.sku_id))
            ]
            if not skus:
                runtime.write_error(errors.graph_not_found(session, call.name, call.parameter_set, str(ref)))
                return
        for sku in skus:
            runtime.write_output(_obj("MicrosoftGraphSubscribedSku", _sku_props(model, sku)))


@cmdlet("Get-MgDomain", requires="graph")
def get_mg_domain(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if not require_graph(session, call, runtime) or _unsupported(
        call, runtime, (*_UNSUPPORTED_LIST, "Filter")
    ):
        return
    with session.tenant.transaction() as model:
        ref = call.bound.get("DomainId")
        domains = list(model.domains.values())
        if ref is not None:
            domains = [d for d in domains if d.key == str(ref).lower()]
            if not domains:
                runtime.write_error(errors.graph_not_found(session, call.name, call.parameter_set, str(ref)))
                return
        for d in domains:
            runtime.write_output(
                _obj(
                    "MicrosoftGraphDomain",
                    {
                        "Id": d.name,
                        "AuthenticationType": str(d.authentication),
                        "IsDefault": d.is_default,
                        "IsInitial": d.is_initial,
                        "IsVerified": d.is_verified,
                        "IsRoot": True,
                        "SupportedServices": ["Email", "OfficeCommunicationsOnline"],
                    },
                )
            )


@cmdlet("Get-MgUserLicenseDetail", requires="graph")
def get_mg_user_license_detail(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    if not require_graph(session, call, runtime) or _unsupported(
        call, runtime, (*_UNSUPPORTED_LIST, "Filter")
    ):
        return
    ref = str(call.bound.get("UserId") or "")
    with session.tenant.transaction() as model:
        user = _find_user(model, ref, UserState.ACTIVE)
        if user is None:
            runtime.write_error(errors.graph_not_found(session, call.name, call.parameter_set, ref))
            return
        for lic, _group in model.effective_licenses(user):
            sku = model.skus[lic.sku_id]
            props = _sku_props(model, sku)
            runtime.write_output(
                _obj(
                    "MicrosoftGraphLicenseDetails",
                    {
                        "Id": f"{sku.sku_id.hex}",
                        "SkuId": str(sku.sku_id),
                        "SkuPartNumber": sku.part_number,
                        "ServicePlans": props["ServicePlans"],
                    },
                )
            )
