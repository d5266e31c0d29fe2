"""The host's invocation identity: every call of one command invocation shares a fresh
``CmdletCall.invocation_id`` and counts its position in ``pipeline_index`` (runtime.py), which the
§4 row 4 rule ("purging several mailboxes in one pipeline fails; one at a time works") relies on.

The host is driven directly (evaluator + binder + cmdlets + tenant, no WinRM endpoint).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cmdlets_write import (  # type: ignore[import-not-found,unused-ignore]
    DAVE,
    FRANK1,
    FRANK2,
    Collected,
)

from orchestrator.sandbox import host as host_module
from orchestrator.sandbox.cmdlets.registry import CmdletEntry, SessionState, lookup
from orchestrator.sandbox.embedded import showcase_fixture
from orchestrator.sandbox.host import SandboxHostFactory, SandboxScriptHost
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime
from orchestrator.sandbox.tenant.model import MailboxState
from orchestrator.sandbox.tenant.service import Tenant


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[SandboxScriptHost]:
    tenant = Tenant.init(tmp_path / "tenant", showcase_fixture())
    try:
        script_host = SandboxHostFactory(tenant).open_pool("pool", "tester")
        script_host.session.exo_connected = True  # as after Connect-ExchangeOnline
        yield script_host
    finally:
        tenant.close()


def run(script_host: SandboxScriptHost, script: str) -> Collected:
    streams = Collected()
    script_host.engine.run_script(script, [], None, streams)
    return streams


def state(script_host: SandboxScriptHost, guid: Any) -> MailboxState:
    with script_host.session.tenant.transaction() as model:
        return model.mailboxes[guid].state


ROW_4 = 'The "Disconnect" parameter can\'t be used on the "Remove-Mailbox" cmdlet'


def test_separate_purge_statements_each_succeed(pool: SandboxScriptHost) -> None:
    """Two piped Remove-Mailbox statements in one script are two invocations: one purge each."""
    script = f"""
    Get-Mailbox -SoftDeletedMailbox -Identity {DAVE} | Remove-Mailbox -PermanentlyDelete -Confirm:$false
    Get-Mailbox -SoftDeletedMailbox -Identity {FRANK1} | Remove-Mailbox -PermanentlyDelete -Confirm:$false
    """
    streams = run(pool, script)
    assert streams.errors == [], [e.message for e in streams.errors]
    assert state(pool, DAVE) is MailboxState.PURGED and state(pool, FRANK1) is MailboxState.PURGED


def test_one_statement_in_a_loop_is_a_new_invocation_each_time(pool: SandboxScriptHost) -> None:
    script = f"""
    foreach ($id in @('{DAVE}', '{FRANK1}')) {{
        Get-Mailbox -SoftDeletedMailbox -Identity $id | Remove-Mailbox -PermanentlyDelete -Confirm:$false
    }}
    """
    streams = run(pool, script)
    assert streams.errors == [], [e.message for e in streams.errors]
    assert state(pool, DAVE) is MailboxState.PURGED and state(pool, FRANK1) is MailboxState.PURGED


def test_one_pipeline_purging_two_mailboxes_fails_on_the_second(pool: SandboxScriptHost) -> None:
    script = (
        "Get-Mailbox -SoftDeletedMailbox | Where-Object { $_.Name -eq 'Frank Miller' } | "
        "Remove-Mailbox -PermanentlyDelete -Confirm:$false"
    )
    streams = run(pool, script)
    assert ROW_4 in streams.error.message and streams.error.activity == "Remove-Mailbox"
    states = sorted(state(pool, guid).value for guid in (FRANK1, FRANK2))
    assert states == sorted([MailboxState.PURGED.value, MailboxState.SOFT_DELETED.value])


def test_host_stamps_invocation_id_and_pipeline_index(
    pool: SandboxScriptHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[CmdletCall] = []

    def recording(name: str) -> CmdletEntry | None:
        entry = lookup(name)
        if entry is None or entry.name != "Get-User":
            return entry

        def impl(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
            seen.append(call)

        return dataclasses.replace(entry, impl=impl)

    monkeypatch.setattr(host_module, "lookup", recording)
    run(pool, "Get-User -Identity a; 'b', 'c', 'd' | Get-User; Get-User -Identity e")
    assert [c.bound["Identity"] for c in seen] == ["a", "b", "c", "d", "e"]
    assert [c.pipeline_index for c in seen] == [0, 0, 1, 2, 0]
    ids = [c.invocation_id for c in seen]
    assert all(ids) and ids[1] == ids[2] == ids[3]
    assert len({ids[0], ids[1], ids[4]}) == 3
