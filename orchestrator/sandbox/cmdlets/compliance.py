"""Security & Compliance cmdlets (after Connect-IPPSSession): case holds and retention policies.

Get-CaseHoldPolicy / Get-RetentionCompliancePolicy fill ``ExchangeLocation`` and
``DistributionStatus`` only with -DistributionDetail (§2.12: otherwise the status shows
"Pending" and the locations are empty). Set-CaseHoldPolicy / Set-RetentionCompliancePolicy change
locations through ``tenant.lifecycle``; removing a mailbox from a hold's scope stamps the delay
holds for 30 days and may turn an inactive mailbox formerly inactive (§1.2 "Delay holds").

Location values are a name, an SMTP address or an Entra object id of an *active* mailbox; an
inactive (or other soft-deleted) mailbox is named by its SMTP address prefixed with a period
(§2.12), and is not found without it. Preservation Lock (``RestrictiveRetention``) forbids
removing locations, adding exceptions and disabling the policy (§2.12).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.registry import SessionState, cmdlet
from orchestrator.sandbox.cmdlets.write_support import (
    ACTIVE,
    SOFT,
    LifecycleError,
    exo_refusal,
    find_mailboxes,
    identity_text,
    parse_guid,
    refuse,
    refuse_unsupported,
    run_transition,
)
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime, PSObject
from orchestrator.sandbox.tenant import lifecycle
from orchestrator.sandbox.tenant.hold_changes import hold_removed
from orchestrator.sandbox.tenant.model import (
    CaseHoldPolicy,
    Mailbox,
    MailboxState,
    RetentionPolicy,
    TenantModel,
)

__all__ = [
    "LOCATION_NOT_FOUND",
    "PRESERVATION_LOCK",
    "get_case_hold_policy",
    "get_retention_compliance_policy",
    "include_in_org_hold",
    "set_case_hold_policy",
    "set_retention_compliance_policy",
]

#: [assumed texts] The reference publishes none for these refusals.
LOCATION_NOT_FOUND = "The location '{value}' couldn't be found."
NOT_A_LOCATION = "'{value}' isn't an Exchange location of the policy '{policy}'."
PRESERVATION_LOCK = (
    "The policy '{policy}' has Preservation Lock (RestrictiveRetention) enabled: its locations can't be "
    "removed, exceptions can't be added and it can't be disabled."
)
LOCATION_ALL = (
    "The policy '{policy}' applies to all Exchange locations. Use AddExchangeLocationException or "
    "RemoveExchangeLocationException instead."
)
NOT_ALL = (
    "The policy '{policy}' doesn't apply to all Exchange locations, so it has no location exceptions. Use "
    "AddExchangeLocation or RemoveExchangeLocation instead."
)
_CASE_TYPES = ("Microsoft.Office.CompliancePolicy.Tasks.PsCaseHoldPolicy", "System.Object")
_RETENTION_TYPES = ("Microsoft.Office.CompliancePolicy.Tasks.PsRetentionCompliancePolicy", "System.Object")


# --------------------------------------------------------------------------- shared


def _policies(model: TenantModel, value: Any, kind: str) -> list[Any]:
    pool: Iterable[CaseHoldPolicy | RetentionPolicy] = (
        model.case_hold_policies.values() if kind == "case" else model.retention_policies.values()
    )
    if isinstance(value, PSObject):
        value = value.get("Guid") or value.get("Identity") or value.get("Name")
    guid = parse_guid(value)
    if guid is not None:
        return [p for p in pool if p.guid == guid]
    text = identity_text(value).strip().lower()
    return [p for p in pool if p.name.lower() == text]


def _location_text(model: TenantModel, guid: uuid.UUID) -> str | None:
    mbx = model.mailboxes.get(guid)
    if mbx is None or mbx.state is MailboxState.PURGED:
        return None
    return mbx.primary_smtp_address


def _locations(model: TenantModel, guids: Iterable[uuid.UUID]) -> list[str]:
    return [text for g in guids if (text := _location_text(model, g)) is not None]


def resolve_location(model: TenantModel, value: Any) -> list[Mailbox]:
    """A location value: active mailbox by name/SMTP/object id, or ``.<smtp>`` for a soft-deleted kind."""
    text = identity_text(value).strip()
    if text.startswith("."):
        return find_mailboxes(model, text[1:], SOFT)
    return find_mailboxes(model, text, ACTIVE | frozenset({MailboxState.DISCONNECTED}))


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _distribution(call: CmdletCall) -> tuple[bool, str]:
    detail = call.switch("DistributionDetail")
    return detail, "Success" if detail else "Pending"


def _one_policy(
    session: SessionState, runtime: CommandRuntime, model: TenantModel, call: CmdletCall, kind: str
) -> Any:
    found = _policies(model, call.bound.get("Identity"), kind)
    if len(found) == 1:
        return found[0]
    text = identity_text(call.bound.get("Identity"))
    runtime.write_error(
        errors.ambiguous(session, call.name, text) if found else errors.not_found(session, call.name, text)
    )
    return None


Step = Callable[[TenantModel], None]


def _resolve_steps(
    session: SessionState,
    runtime: CommandRuntime,
    model: TenantModel,
    call: CmdletCall,
    values: list[Any],
    make: Callable[[uuid.UUID], Step],
) -> list[Step] | None:
    steps: list[Step] = []
    for value in values:
        found = resolve_location(model, value)
        if len(found) != 1:
            text = identity_text(value)
            if found:
                runtime.write_error(errors.ambiguous(session, call.name, text))
            else:
                exo_refusal(
                    session,
                    runtime,
                    call.name,
                    LOCATION_NOT_FOUND.format(value=text),
                    exception_type="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                    target=text,
                )
            return None
        steps.append(make(found[0].exchange_guid))
    return steps


def _apply(
    session: SessionState, runtime: CommandRuntime, model: TenantModel, call: CmdletCall, steps: list[Step]
) -> None:
    def run(m: TenantModel) -> None:
        for step in steps:
            step(m)

    try:
        run_transition(
            model,
            call,
            run,
            high_impact=False,
            command=call.name,
            description=f'Changing policy "{identity_text(call.bound.get("Identity"))}".',
        )
    except LifecycleError as exc:
        if exc.refusal is lifecycle.Refusal.HOLD_NOT_FOUND and "location" in exc.message:
            exo_refusal(
                session,
                runtime,
                call.name,
                NOT_A_LOCATION.format(
                    value=exc.detail.get("identity", ""), policy=identity_text(call.bound.get("Identity"))
                ),
            )
            return
        refuse(session, runtime, call.name, exc)


# --------------------------------------------------------------------------- case holds


def case_hold_object(model: TenantModel, policy: CaseHoldPolicy, *, detail: bool, status: str) -> PSObject:
    return PSObject(
        {
            "Name": policy.name,
            "Identity": str(policy.guid),
            "Guid": policy.guid,
            "CaseId": policy.case,
            "Enabled": policy.enabled,
            "Mode": "Enforce",
            "ExchangeLocation": _locations(model, policy.exchange_locations) if detail else [],
            "SharePointLocation": [],
            "PublicFolderLocation": [],
            "DistributionStatus": status,
        },
        _CASE_TYPES,
        adapted=True,
    )


def _requested_policies(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState, model: TenantModel, kind: str
) -> list[Any] | None:
    """``-Identity``'s policies (None after writing the not-found error), or all of ``kind``."""
    identity = call.bound.get("Identity")
    if identity is None:
        every = model.case_hold_policies if kind == "case" else model.retention_policies
        return sorted(every.values(), key=lambda p: p.name.lower())
    found = _policies(model, identity, kind)
    if not found:
        runtime.write_error(errors.not_found(session, call.name, identity_text(identity)))
        return None
    return list(found)


@cmdlet("Get-CaseHoldPolicy", requires="ipps")
def get_case_hold_policy(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    detail, status = _distribution(call)
    with session.tenant.transaction() as model:
        found = _requested_policies(call, runtime, session, model, "case")
        if found is None:
            return
        case = call.bound.get("Case")
        if case is not None:
            found = [p for p in found if p.case.lower() == str(case).lower()]
        for policy in found:
            runtime.write_output(case_hold_object(model, policy, detail=detail, status=status))


@cmdlet("Set-CaseHoldPolicy", requires="ipps")
def set_case_hold_policy(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """-RemoveExchangeLocation / -AddExchangeLocation / -Enabled / -RetryDistribution (§2.12)."""
    supported = {
        "Identity",
        "RemoveExchangeLocation",
        "AddExchangeLocation",
        "Enabled",
        "RetryDistribution",
        "Force",
    }
    if refuse_unsupported(call, runtime, supported):
        return
    tenant = session.tenant
    with tenant.transaction() as model:
        policy = _one_policy(session, runtime, model, call, "case")
        if policy is None:
            return
        now, pg = tenant.now(), policy.guid
        removals = _resolve_steps(
            session,
            runtime,
            model,
            call,
            _values(call.bound.get("RemoveExchangeLocation")),
            lambda g: lambda m: lifecycle.remove_case_hold_location(m, pg, g, now),
        )
        additions = _resolve_steps(
            session,
            runtime,
            model,
            call,
            _values(call.bound.get("AddExchangeLocation")),
            lambda g: lambda m: lifecycle.add_case_hold_location(m, pg, g, now),
        )
        if removals is None or additions is None:
            return
        steps = [*additions, *removals]
        if "Enabled" in call.bound:
            enabled = bool(call.bound["Enabled"])
            steps.append(lambda m: lifecycle.set_case_hold_policy_enabled(m, pg, enabled, now))
        _apply(session, runtime, model, call, steps)


# --------------------------------------------------------------------------- retention policies


def retention_object(model: TenantModel, policy: RetentionPolicy, *, detail: bool, status: str) -> PSObject:
    if policy.exchange_location_all:
        locations: list[str] = ["All"]
    else:
        locations = _locations(model, policy.exchange_locations)
    return PSObject(
        {
            "Name": policy.name,
            "Identity": str(policy.guid),
            "Guid": policy.guid,
            "Enabled": policy.enabled,
            "Mode": "Enforce",
            "RestrictiveRetention": policy.preservation_lock,
            "ExchangeLocation": locations if detail else [],
            "ExchangeLocationException": _locations(model, policy.exchange_location_exceptions)
            if detail
            else [],
            "RetentionAction": str(policy.action),
            "RetentionDuration": policy.retention_days if policy.retention_days is not None else "Unlimited",
            "DistributionStatus": status,
        },
        _RETENTION_TYPES,
        adapted=True,
    )


@cmdlet("Get-RetentionCompliancePolicy", requires="ipps")
def get_retention_compliance_policy(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    detail, status = _distribution(call)
    with session.tenant.transaction() as model:
        found = _requested_policies(call, runtime, session, model, "retention")
        if found is None:
            return
        for policy in found:
            runtime.write_output(retention_object(model, policy, detail=detail, status=status))


def include_in_org_hold(
    model: TenantModel, exchange_guid: uuid.UUID, policy_guid: uuid.UUID, now: datetime
) -> None:
    """-RemoveExchangeLocationException: the org-wide policy applies to the mailbox again.

    The inverse of ``lifecycle.exclude_from_org_hold`` (which the lifecycle lacks): drops the
    exception and the mailbox's ``-mbx<hex>`` stamp. A hold is added, so no delay hold is stamped.
    """
    policy = model.retention_policies.get(policy_guid)
    if policy is None or exchange_guid not in policy.exchange_location_exceptions:
        raise LifecycleError(
            lifecycle.Refusal.HOLD_NOT_FOUND,
            "The mailbox is not a location exception of this policy.",
            identity=str(exchange_guid),
        )
    policy.exchange_location_exceptions = [
        g for g in policy.exchange_location_exceptions if g != exchange_guid
    ]
    model.touch(policy)
    mbx = model.mailboxes.get(exchange_guid)
    if mbx is not None and policy.exclusion_id in mbx.holds.in_place_holds:
        mbx.holds.in_place_holds = [h for h in mbx.holds.in_place_holds if h != policy.exclusion_id]
        model.touch(mbx)


@cmdlet("Set-RetentionCompliancePolicy", requires="ipps")
def set_retention_compliance_policy(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Locations and exceptions of an Exchange retention policy, guarded by Preservation Lock (§2.12)."""
    location_params = (
        "RemoveExchangeLocation",
        "AddExchangeLocation",
        "AddExchangeLocationException",
        "RemoveExchangeLocationException",
    )
    supported = {
        "Identity",
        "Enabled",
        "RestrictiveRetention",
        "RetryDistribution",
        "Force",
        *location_params,
    }
    if refuse_unsupported(call, runtime, supported):
        return
    tenant = session.tenant
    with tenant.transaction() as model:
        policy = _one_policy(session, runtime, model, call, "retention")
        if policy is None:
            return
        refusal = _retention_refusal(call, policy)
        if refusal is not None:
            exo_refusal(session, runtime, call.name, refusal.format(policy=policy.name), target=policy.name)
            return
        now, pg = tenant.now(), policy.guid
        makers: dict[str, Callable[[uuid.UUID], Step]] = {
            "AddExchangeLocation": lambda g: lambda m: lifecycle.add_retention_location(m, pg, g, now),
            "RemoveExchangeLocation": lambda g: lambda m: lifecycle.remove_retention_location(m, pg, g, now),
            "AddExchangeLocationException": lambda g: (
                lambda m: lifecycle.exclude_from_org_hold(m, g, pg, now)
            ),
            "RemoveExchangeLocationException": lambda g: lambda m: include_in_org_hold(m, g, pg, now),
        }
        steps: list[Step] = []
        for param in location_params:
            resolved = _resolve_steps(
                session, runtime, model, call, _values(call.bound.get(param)), makers[param]
            )
            if resolved is None:
                return
            steps.extend(resolved)
        if "Enabled" in call.bound or "RestrictiveRetention" in call.bound:
            enabled = bool(call.bound.get("Enabled", policy.enabled))
            lock = bool(call.bound.get("RestrictiveRetention", policy.preservation_lock))
            steps.append(lambda m: _set_policy_flags(m, pg, enabled=enabled, lock=lock, now=now))
        _apply(session, runtime, model, call, steps)


def _retention_refusal(call: CmdletCall, policy: RetentionPolicy) -> str | None:
    bound = call.bound
    if policy.exchange_location_all and ("RemoveExchangeLocation" in bound or "AddExchangeLocation" in bound):
        return LOCATION_ALL
    if not policy.exchange_location_all and (
        "AddExchangeLocationException" in bound or "RemoveExchangeLocationException" in bound
    ):
        return NOT_ALL
    if policy.preservation_lock and (
        "RemoveExchangeLocation" in bound
        or "AddExchangeLocationException" in bound
        or bound.get("Enabled") is False
        or bound.get("RestrictiveRetention") is False
    ):
        return PRESERVATION_LOCK
    return None


def _set_policy_flags(
    model: TenantModel, policy_guid: uuid.UUID, *, enabled: bool, lock: bool, now: datetime
) -> None:
    """-Enabled / -RestrictiveRetention. Disabling releases the policy's holds (delay holds follow)."""
    policy = model.retention_policies[policy_guid]
    policy.preservation_lock = lock
    model.touch(policy)
    if policy.enabled == enabled:
        return
    policy.enabled = enabled
    affected = [model.mailboxes[g] for g in policy.exchange_locations if g in model.mailboxes]
    if policy.exchange_location_all:
        affected = [
            m
            for m in model.mailboxes.values()
            if m.exchange_guid not in policy.exchange_location_exceptions
            and m.state is not MailboxState.PURGED
        ]
    for mbx in affected:
        if not enabled:
            if not policy.exchange_location_all:
                mbx.holds.in_place_holds = [h for h in mbx.holds.in_place_holds if h != policy.hold_id]
                model.touch(mbx)
            if policy.action.holds:
                hold_removed(model, mbx, now)
        elif not policy.exchange_location_all and policy.hold_id not in mbx.holds.in_place_holds:
            mbx.holds.in_place_holds = [*mbx.holds.in_place_holds, policy.hold_id]
            model.touch(mbx)
