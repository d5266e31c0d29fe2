"""The tenant lifecycle: every directory and mailbox transition, as pure functions (no IO).

This module is the one import for the write side. Conventions:

* each function takes the ``TenantModel`` and the simulated ``now`` (aware UTC), changes objects
  in place, records them with ``model.touch`` and schedules timers with ``model.schedule``;
* a refused operation raises ``LifecycleError`` (``.refusal`` a ``Refusal``, ``.detail`` the
  values an error text needs) *before* changing anything; ``cmdlets/errors.py`` has one factory
  per refusal;
* ``advance(model, now)`` applies every timer that is due, in time order;
  ``check_invariants(model)`` lists violated invariants (empty = consistent).

Section numbers refer to /work/shared/reference/exchange-online-lifecycle.md; the choices the
reference leaves open are listed in docs/sandbox/tenant.md "Assumptions".
"""

from __future__ import annotations

from orchestrator.sandbox.tenant.common import (
    LifecycleError,
    Refusal,
    active_dn,
    check_new_mailbox_name,
    check_new_sign_in_name,
    disconnect_mailbox,
    legacy_exchange_dn,
    purge_mailbox,
    soft_deleted_dn,
)
from orchestrator.sandbox.tenant.directory import (
    add_group_member,
    assign_licenses,
    create_user,
    delete_user,
    purge_user,
    remove_group_member,
    restore_user,
)
from orchestrator.sandbox.tenant.hold_changes import (
    add_case_hold_location,
    add_retention_location,
    clear_delay_holds,
    delete_case_hold_policy,
    exclude_from_org_hold,
    recalculate_inactive,
    remove_case_hold_location,
    remove_compliance_tag_hold,
    remove_legacy_hold,
    remove_retention_location,
    set_case_hold_policy_enabled,
    set_litigation_hold,
)
from orchestrator.sandbox.tenant.holds import hold_reasons, is_on_hold, org_in_place_holds, parse_hold_id
from orchestrator.sandbox.tenant.invariants import check_invariants
from orchestrator.sandbox.tenant.mailboxes import (
    new_mailbox,
    permanently_delete_mailbox,
    remove_mailbox,
    undo_soft_deleted_mailbox,
)
from orchestrator.sandbox.tenant.recovery import recover_inactive_mailbox
from orchestrator.sandbox.tenant.restore import (
    new_restore_request,
    remove_restore_request,
    restore_progress,
    resume_restore_request,
    suspend_restore_request,
)
from orchestrator.sandbox.tenant.timers import Event, advance

__all__ = [
    "Event",
    "LifecycleError",
    "Refusal",
    "active_dn",
    "add_case_hold_location",
    "add_group_member",
    "add_retention_location",
    "advance",
    "assign_licenses",
    "check_invariants",
    "check_new_mailbox_name",
    "check_new_sign_in_name",
    "clear_delay_holds",
    "create_user",
    "delete_case_hold_policy",
    "delete_user",
    "disconnect_mailbox",
    "exclude_from_org_hold",
    "hold_reasons",
    "is_on_hold",
    "legacy_exchange_dn",
    "new_mailbox",
    "new_restore_request",
    "org_in_place_holds",
    "parse_hold_id",
    "permanently_delete_mailbox",
    "purge_mailbox",
    "purge_user",
    "recalculate_inactive",
    "recover_inactive_mailbox",
    "remove_case_hold_location",
    "remove_compliance_tag_hold",
    "remove_group_member",
    "remove_legacy_hold",
    "remove_mailbox",
    "remove_restore_request",
    "remove_retention_location",
    "restore_progress",
    "restore_user",
    "resume_restore_request",
    "set_case_hold_policy_enabled",
    "set_litigation_hold",
    "soft_deleted_dn",
    "suspend_restore_request",
    "undo_soft_deleted_mailbox",
]
