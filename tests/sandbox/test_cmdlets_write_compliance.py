"""S&C cmdlets called directly: case holds, retention policies, Preservation Lock (§1.2, §2.12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_cmdlets_write import (  # type: ignore[import-not-found,unused-ignore]
    ALICE,
    CASE,
    EXEC_POLICY,
    HEIDI,
    IVAN,
    JUDY,
    ON,
    ORG_POLICY,
    Harness,
    ok,
)

from orchestrator.sandbox.tenant.model import MailboxState


@pytest.fixture
def h(tmp_path: Path) -> Any:
    harness = Harness(tmp_path / "tenant")
    yield harness
    harness.close()


def test_get_case_hold_policy_fills_locations_only_with_distribution_detail(h: Harness) -> None:
    (plain,) = ok(h.run("Get-CaseHoldPolicy", {"Identity": str(CASE)})).output
    assert plain.get("ExchangeLocation") == [] and plain.get("DistributionStatus") == "Pending"
    (detail,) = ok(h.run("Get-CaseHoldPolicy", {"Identity": str(CASE), "DistributionDetail": ON})).output
    assert (
        detail.get("ExchangeLocation") == ["heidi@contoso.com"]
        and detail.get("DistributionStatus") == "Success"
    )


def test_remove_inactive_location_needs_the_period_prefix(h: Harness) -> None:
    rt = h.run("Set-CaseHoldPolicy", {"Identity": str(CASE), "RemoveExchangeLocation": ["heidi@contoso.com"]})
    assert "couldn't be found" in rt.text()
    ok(h.run("Set-CaseHoldPolicy", {"Identity": str(CASE), "RemoveExchangeLocation": [".heidi@contoso.com"]}))
    mbx = h.model.mailboxes[HEIDI]
    assert mbx.holds.in_place_holds == [] and mbx.holds.delay_hold_applied
    assert mbx.state is MailboxState.INACTIVE  # the delay holds keep it inactive for 30 days
    h.advance(days=30)
    assert h.state(HEIDI) is MailboxState.FORMERLY_INACTIVE


def test_unknown_policy_is_not_found(h: Harness) -> None:
    rt = h.run(
        "Set-CaseHoldPolicy", {"Identity": "No such case", "RemoveExchangeLocation": [".x@contoso.com"]}
    )
    assert "couldn't be found" in rt.text()


def test_get_retention_policy_distribution_detail(h: Harness) -> None:
    (org,) = ok(
        h.run("Get-RetentionCompliancePolicy", {"Identity": str(ORG_POLICY), "DistributionDetail": ON})
    ).output
    assert org.get("ExchangeLocation") == ["All"] and org.get("ExchangeLocationException") == [
        "judy@contoso.com"
    ]
    assert len(ok(h.run("Get-RetentionCompliancePolicy", {})).output) == 2


def test_remove_specific_retention_location_releases_ivan(h: Harness) -> None:
    ok(
        h.run(
            "Set-RetentionCompliancePolicy",
            {"Identity": "Legal - executives retain", "RemoveExchangeLocation": [".ivan@contoso.com"]},
        )
    )
    assert h.model.mailboxes[IVAN].holds.delay_hold_applied
    h.advance(days=30)
    assert h.state(IVAN) is MailboxState.FORMERLY_INACTIVE


def test_preservation_lock_refuses_location_removal(h: Harness) -> None:
    with h.tenant.transaction() as m:
        m.retention_policies[EXEC_POLICY].preservation_lock = True
        m.touch(m.retention_policies[EXEC_POLICY])
    rt = h.run(
        "Set-RetentionCompliancePolicy",
        {"Identity": str(EXEC_POLICY), "RemoveExchangeLocation": [".ivan@contoso.com"]},
    )
    assert "Preservation Lock" in rt.text()
    assert h.model.mailboxes[IVAN].holds.in_place_holds


def test_org_wide_policy_uses_exceptions(h: Harness) -> None:
    rt = h.run(
        "Set-RetentionCompliancePolicy",
        {"Identity": str(ORG_POLICY), "RemoveExchangeLocation": ["alice@contoso.com"]},
    )
    assert "AddExchangeLocationException" in rt.text()
    ok(
        h.run(
            "Set-RetentionCompliancePolicy",
            {"Identity": str(ORG_POLICY), "AddExchangeLocationException": ["alice@contoso.com"]},
        )
    )
    assert f"-mbx{ORG_POLICY.hex}" in h.model.mailboxes[ALICE].holds.in_place_holds
    ok(
        h.run(
            "Set-RetentionCompliancePolicy",
            {"Identity": str(ORG_POLICY), "RemoveExchangeLocationException": [".judy@contoso.com"]},
        )
    )
    assert h.model.mailboxes[JUDY].holds.in_place_holds == []


def test_set_mailbox_exclude_from_all_org_holds(h: Harness) -> None:
    ok(
        h.run(
            "Set-RetentionCompliancePolicy",
            {"Identity": str(ORG_POLICY), "RemoveExchangeLocationException": [".judy@contoso.com"]},
        )
    )
    ok(h.run("Set-Mailbox", {"Identity": JUDY, "InactiveMailbox": ON, "ExcludeFromAllOrgHolds": ON}))
    assert f"-mbx{ORG_POLICY.hex}" in h.model.mailboxes[JUDY].holds.in_place_holds


def test_s_and_c_whatif_changes_nothing(h: Harness) -> None:
    ok(
        h.run(
            "Set-CaseHoldPolicy",
            {"Identity": str(CASE), "RemoveExchangeLocation": [".heidi@contoso.com"], "WhatIf": ON},
        )
    )
    assert h.model.mailboxes[HEIDI].holds.in_place_holds


@pytest.mark.parametrize(
    ("cmdlet", "parameter"),
    [("Set-CaseHoldPolicy", "Comment"), ("Set-RetentionCompliancePolicy", "Comment")],
)
def test_real_parameters_the_sandbox_does_not_simulate_are_refused(
    h: Harness, cmdlet: str, parameter: str
) -> None:
    rt = h.run(cmdlet, {"Identity": str(CASE), parameter: "x"})
    assert rt.error.fq_error_id == f"SandboxNotImplemented,{cmdlet}"
    assert rt.error.message == f"The sandbox does not simulate {cmdlet} -{parameter}."
