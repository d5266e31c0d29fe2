"""Restore requests called directly: creation rules, progress over simulated time, resume/remove."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_cmdlets_write import (  # type: ignore[import-not-found,unused-ignore]
    ALICE,
    DAVE,
    GRACE,
    KEN,
    OFF,
    ON,
    Harness,
    ok,
)

from orchestrator.sandbox.runtime import PSObject, PSTerminatingError


@pytest.fixture
def h(tmp_path: Path) -> Any:
    harness = Harness(tmp_path / "tenant")
    yield harness
    harness.close()


def new(h: Harness, source: object = DAVE, **extra: Any) -> Any:
    bound = {
        "SourceMailbox": source,
        "TargetMailbox": "alice@contoso.com",
        "AllowLegacyDNMismatch": ON,
        **extra,
    }
    return h.run("New-MailboxRestoreRequest", bound, parameter_set="SourceMailbox")


def stats(h: Harness, identity: object) -> PSObject:
    (out,) = ok(h.run("Get-MailboxRestoreRequestStatistics", {"Identity": identity})).output
    assert isinstance(out, PSObject)
    return out


def test_request_progresses_queued_in_progress_completed(h: Harness) -> None:
    (req,) = ok(new(h)).output
    assert req.get("Identity") == "alice\\MailboxRestore" and req.get("Status") == "Queued"
    assert stats(h, "alice\\MailboxRestore").get("PercentComplete") == 0
    h.advance(minutes=2)
    s = stats(h, "alice\\MailboxRestore")
    assert s.get("Status") == "InProgress" and 0 <= s.get("PercentComplete") < 100
    h.advance(hours=2)
    s = stats(h, req.get("RequestGuid"))
    assert (
        s.get("Status") == "Completed"
        and s.get("PercentComplete") == 100
        and s.get("StatusDetail") == "Completed"
    )


def test_names_default_to_mailboxrestore_then_1_to_9_and_ten_is_the_limit(h: Harness) -> None:
    names = [ok(new(h)).output[0].get("Name") for _ in range(10)]
    assert names == ["MailboxRestore", *(f"MailboxRestore{i}" for i in range(1, 10))]
    assert new(h).errors


def test_without_allow_legacy_dn_mismatch_the_request_fails_when_it_starts(h: Harness) -> None:
    ok(
        h.run(
            "New-MailboxRestoreRequest",
            {"SourceMailbox": DAVE, "TargetMailbox": ALICE},
            parameter_set="SourceMailbox",
        )
    )
    h.advance(minutes=2)
    s = ok(
        h.run(
            "Get-MailboxRestoreRequestStatistics", {"Identity": "alice\\MailboxRestore", "IncludeReport": ON}
        )
    ).output[0]
    assert s.get("Status") == "Failed" and s.get("StatusDetail") == "FailedOther"
    assert "AllowLegacyDNMismatch" in s.get("Message") and s.get("Report").get("Entries")
    failed = ok(h.run("Get-MailboxRestoreRequest", {"Status": "Failed"})).output
    assert [r.get("Name") for r in failed] == ["MailboxRestore"]


def test_x500_proxy_on_target_satisfies_the_legacy_dn_check(h: Harness) -> None:
    with h.tenant.transaction() as m:
        alice = m.mailboxes[ALICE]
        alice.email_addresses = [*alice.email_addresses, f"X500:{m.mailboxes[DAVE].legacy_exchange_dn}"]
        m.touch(alice)
    ok(
        h.run(
            "New-MailboxRestoreRequest",
            {"SourceMailbox": DAVE, "TargetMailbox": ALICE},
            parameter_set="SourceMailbox",
        )
    )
    h.advance(hours=3)
    assert stats(h, "alice\\MailboxRestore").get("Status") == "Completed"


def test_source_and_target_rules(h: Harness) -> None:
    assert new(h, source=ALICE).error.exception_type.endswith("ManagementObjectNotFoundException")
    rt = h.run(
        "New-MailboxRestoreRequest",
        {"SourceMailbox": DAVE, "TargetMailbox": GRACE},
        parameter_set="SourceMailbox",
    )
    assert rt.error.exception_type.endswith("ManagementObjectNotFoundException")  # target must be active
    assert "auto-expanding archive" in new(h, source=KEN).text()
    assert "doesn't have an archive" in new(h, SourceIsArchive=ON).text()


def test_conflict_resolution_option_is_validated(h: Harness) -> None:
    with pytest.raises(PSTerminatingError):
        new(h, ConflictResolutionOption="Overwrite")
    ok(new(h, ConflictResolutionOption="KeepAll"))


def test_get_filters_and_unknown_identity(h: Harness) -> None:
    ok(new(h, BatchName="b1"))
    ok(new(h, source=GRACE, Name="fromGrace"))
    assert [r.get("Name") for r in ok(h.run("Get-MailboxRestoreRequest", {"BatchName": "b1"})).output] == [
        "MailboxRestore"
    ]
    assert len(ok(h.run("Get-MailboxRestoreRequest", {"TargetMailbox": "alice@contoso.com"})).output) == 2
    rt = h.run("Get-MailboxRestoreRequest", {"Identity": "alice\\nope"})
    assert rt.text().startswith("Couldn't find a request that matches the information provided.")


def test_resume_only_suspended_or_failed_and_remove_prompts(h: Harness) -> None:
    ok(
        h.run(
            "New-MailboxRestoreRequest",
            {"SourceMailbox": DAVE, "TargetMailbox": ALICE},
            parameter_set="SourceMailbox",
        )
    )
    assert (
        "can't be resumed"
        in h.run("Resume-MailboxRestoreRequest", {"Identity": "alice\\MailboxRestore"}).text()
    )
    h.advance(minutes=2)
    ok(h.run("Resume-MailboxRestoreRequest", {"Identity": "alice\\MailboxRestore"}))
    assert stats(h, "alice\\MailboxRestore").get("Status") == "Queued"
    with pytest.raises(PSTerminatingError):
        h.run("Remove-MailboxRestoreRequest", {"Identity": "alice\\MailboxRestore"})
    ok(h.run("Remove-MailboxRestoreRequest", {"Identity": "alice\\MailboxRestore", "Confirm": OFF}))
    assert ok(h.run("Get-MailboxRestoreRequest", {"TargetMailbox": ALICE})).output == []
