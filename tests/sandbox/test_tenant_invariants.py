"""Property test: random sequences of directory/mailbox operations keep the tenant consistent.

After every step ``check_invariants`` is empty, no purged mailbox comes back, and a refused
operation (``LifecycleError``) changed nothing (the model's dirty set stays empty).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.sandbox.tenant import lifecycle as lc
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.sandbox.tenant.invariants import check_transition
from orchestrator.sandbox.tenant.model import AssignedLicense, TenantModel

KEYS = ["ann", "ben", "cat", "dan", "eve"]
OPS = [
    "delete_user",
    "restore_user",
    "purge_user",
    "remove_licence",
    "add_licence",
    "remove_mailbox",
    "purge_mailbox",
    "undo",
    "recover",
    "lit_on",
    "lit_off",
    "clear_delay",
    "case_off",
    "case_on",
    "exclude_org",
    "restore_request",
    "advance",
]


def _tenant(org_action: str = "Retain") -> tuple[FixtureBuilder, TenantModel, object]:
    b = FixtureBuilder()
    for key in KEYS:
        b.active(key, dir_synced=key == "eve")
    case = b.case_hold("c", "ann")
    b.retention("org", org_wide=True, action=org_action)
    b.data["mailboxes"][0]["holds"] = {"in_place_holds": [f"UniH{case}"]}
    model, start = b.model()
    return b, model, start


def _apply(b: FixtureBuilder, m: TenantModel, now: object, op: str, i: int, j: int) -> None:
    key = KEYS[i % len(KEYS)]
    user = uuid.UUID(b.guid(f"user-{key}"))
    mbx = uuid.UUID(b.guid(f"mbx-{key}"))
    e3 = uuid.UUID(b.sku("E3"))
    case = uuid.UUID(b.guid("case-c"))
    org = uuid.UUID(b.guid("ret-org"))
    current = m.mailbox_of_user(user)
    target = current.exchange_guid if current is not None else mbx
    t = now  # type: ignore[assignment]
    if op == "delete_user":
        lc.delete_user(m, user, t, by_sync=j % 2 == 0)
    elif op == "restore_user":
        lc.restore_user(m, user, t)
    elif op == "purge_user":
        lc.purge_user(m, user, t)
    elif op == "remove_licence":
        lc.assign_licenses(m, user, t, remove=[e3])
    elif op == "add_licence":
        lc.assign_licenses(m, user, t, add=[AssignedLicense(e3)])
    elif op == "remove_mailbox":
        lc.remove_mailbox(m, target, t)
    elif op == "purge_mailbox":
        lc.permanently_delete_mailbox(m, target, t)
    elif op == "undo":
        lc.undo_soft_deleted_mailbox(m, target, t, windows_live_id=f"{key}{j}@contoso.com" if j % 2 else None)
    elif op == "recover":
        lc.recover_inactive_mailbox(
            m, target, t, name=f"R{key}{j}", microsoft_online_services_id=f"r{key}{j}@contoso.com"
        )
    elif op == "lit_on":
        lc.set_litigation_hold(m, target, t, enabled=True)
    elif op == "lit_off":
        lc.set_litigation_hold(m, target, t, enabled=False)
    elif op == "clear_delay":
        lc.clear_delay_holds(m, target, t)
    elif op == "case_off":
        lc.set_case_hold_policy_enabled(m, case, False, t)
    elif op == "case_on":
        lc.set_case_hold_policy_enabled(m, case, True, t)
    elif op == "exclude_org":
        lc.exclude_from_org_hold(m, target, org, t)
    elif op == "restore_request":
        other = uuid.UUID(b.guid(f"mbx-{KEYS[j % len(KEYS)]}"))
        lc.new_restore_request(m, target, other, t, allow_legacy_dn_mismatch=True)


steps = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 4), st.integers(0, 9), st.integers(0, 45)), max_size=30
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["Retain", "Delete"]), steps)
def test_random_operations_keep_invariants(org_action: str, ops: list[tuple[str, int, int, int]]) -> None:
    b, m, now = _tenant(org_action)
    for op, i, j, days in ops:
        before = {g: x.state for g, x in m.mailboxes.items()}
        if op == "advance":
            now = now + timedelta(days=days, hours=j)  # type: ignore[operator]
            lc.advance(m, now)  # type: ignore[arg-type]
        else:
            lc.advance(m, now)  # type: ignore[arg-type]
            m.dirty.clear()
            try:
                _apply(b, m, now, op, i, j)
            except lc.LifecycleError:
                assert m.dirty == set(), f"{op} changed the model before refusing"
        assert lc.check_invariants(m, now) == [], (op, i, j)  # type: ignore[arg-type]
        assert check_transition(before, m) == []
