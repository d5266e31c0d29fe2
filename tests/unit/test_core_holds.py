"""Every InPlaceHolds format of reference section 1.5, and which holds block a purge."""

import pytest

from orchestrator.core.holds import (
    Hold,
    HoldFlags,
    HoldKind,
    RetentionAction,
    classify_in_place_hold,
    mailbox_holds,
    org_wide_holds,
    retaining_holds,
)

HEX = "0123456789abcdef0123456789abcdef"
GUID = "7d895d48-7e23-4a8d-8346-533c3beac15d"


@pytest.mark.parametrize(
    ("raw", "kind", "policy_id", "action", "workload", "retains"),
    [
        (f"UniH{GUID}", HoldKind.EDISCOVERY_CASE, GUID, None, None, True),
        (f"UniH{GUID.upper()}", HoldKind.EDISCOVERY_CASE, GUID, None, None, True),
        (f"mbx{HEX}:1", HoldKind.RETENTION_POLICY, HEX, RetentionAction.DELETE_ONLY, "mailbox", False),
        (f"mbx{HEX}:2", HoldKind.RETENTION_POLICY, HEX, RetentionAction.RETAIN, "mailbox", True),
        (f"mbx{HEX}:3", HoldKind.RETENTION_POLICY, HEX, RetentionAction.RETAIN_THEN_DELETE, "mailbox", True),
        (f"skp{HEX}:2", HoldKind.RETENTION_POLICY, HEX, RetentionAction.RETAIN, "skype", True),
        (f"grp{HEX}:3", HoldKind.RETENTION_POLICY, HEX, RetentionAction.RETAIN_THEN_DELETE, "group", True),
        (f"-mbx{HEX}", HoldKind.EXCLUDED, HEX, None, "mailbox", False),
        (f"cld{HEX}", HoldKind.LEGACY_IN_PLACE, f"cld{HEX}", None, None, True),
        (HEX, HoldKind.LEGACY_IN_PLACE, HEX, None, None, True),
        (f"mbx{HEX}:4", HoldKind.UNKNOWN, None, None, None, True),
        ("UniHnot-a-guid", HoldKind.UNKNOWN, None, None, None, True),
        ("something else", HoldKind.UNKNOWN, None, None, None, True),
    ],
)
def test_classify_each_format(raw, kind, policy_id, action, workload, retains):
    hold = classify_in_place_hold(raw)
    assert (hold.kind, hold.policy_id, hold.action, hold.workload, hold.retains) == (
        kind,
        policy_id,
        action,
        workload,
        retains,
    )
    assert hold.raw == raw


def test_flags_become_holds_and_all_retain():
    holds = mailbox_holds(HoldFlags(litigation=True, compliance_tag=True, delay=True, delay_release=True), [])
    assert [h.kind for h in holds] == [
        HoldKind.LITIGATION,
        HoldKind.COMPLIANCE_TAG,
        HoldKind.DELAY,
        HoldKind.DELAY_RELEASE,
    ]
    assert retaining_holds(holds) == holds


def test_org_wide_policy_applies_unless_excluded():
    org = org_wide_holds([f"mbx{HEX}:2", f"grp{'f' * 32}:2"])
    assert [h.kind for h in org] == [HoldKind.ORG_RETENTION_POLICY, HoldKind.ORG_RETENTION_POLICY]
    applied = mailbox_holds(HoldFlags(), [], org)
    assert [h.policy_id for h in applied] == [HEX]  # group-workload policies do not hold mailboxes
    excluded = mailbox_holds(HoldFlags(), [f"-mbx{HEX}"], org)
    assert [h.kind for h in excluded] == [HoldKind.EXCLUDED]
    assert retaining_holds(excluded) == ()


def test_as_dict_is_json_ready():
    assert Hold(HoldKind.LITIGATION).as_dict() == {
        "kind": "litigation_hold",
        "id": None,
        "action": None,
        "workload": None,
        "raw": None,
        "retains": True,
    }
