"""Several workers at once: one PowerShellSession per thread, all against the same tenant."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from orchestrator.inventory import run_inventory
from orchestrator.output import inventory_to_json
from orchestrator.session import PowerShellSession, SessionThreadError
from orchestrator.workflow import connection_parameters


def test_four_workers_run_the_inventory_concurrently_and_agree(sandbox):
    settings = sandbox.settings()
    tenant = settings.require_tenant()
    start = threading.Barrier(4)

    def worker(_: int) -> list[str]:
        with PowerShellSession(settings.winrm) as session:
            start.wait(timeout=30)
            return [inventory_to_json(run_inventory(session, tenant)) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [text for batch in pool.map(worker, range(4)) for text in batch]
    assert len(results) == 12
    assert len(set(results)) == 1  # same tenant, read-only: every run sees the same inventory


def test_a_session_refuses_a_second_thread(sandbox):
    with PowerShellSession(sandbox.settings().winrm) as session:
        assert session.invoke("1 + 1", {}).output == [2]
        caught: list[BaseException] = []

        def other() -> None:
            try:
                session.invoke("1 + 1", {})
            except BaseException as exc:
                caught.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=30)
    assert len(caught) == 1 and isinstance(caught[0], SessionThreadError)


@pytest.mark.timeout(60)
def test_workers_purging_distinct_mailboxes_each_succeed_once(fresh_sandbox):
    """Irreversible steps from parallel workers: each mailbox is purged exactly once (audit log)."""
    from orchestrator.sandbox.embedded import read_audit_log

    settings = fresh_sandbox.settings()
    tenant = settings.require_tenant()
    connect = (
        "param($Organization, $AppId, $CertificateThumbprint, $Guid)\n"
        "Connect-ExchangeOnline -AppId $AppId -Organization $Organization "
        "-CertificateThumbprint $CertificateThumbprint -ShowBanner:$false\n"
        "Remove-Mailbox -Identity $Guid -PermanentlyDelete -Confirm:$false\n"
    )
    with PowerShellSession(settings.winrm) as session:
        orphans = [
            r
            for r in run_inventory(session, tenant).records
            if r.orphaned
            and r.state.value == "soft_deleted"
            and not r.blocking_holds
            and r.facts.recipient_type_details != "PublicFolderMailbox"
        ]
    guids = [str(r.facts.exchange_guid) for r in orphans]
    assert len(guids) >= 2

    def purge(guid: str) -> list[str]:
        values = {**connection_parameters(tenant), "Guid": guid}
        with PowerShellSession(settings.winrm) as worker_session:
            return [e.message for e in worker_session.invoke(connect, values).errors]

    with ThreadPoolExecutor(max_workers=len(guids)) as pool:
        assert list(pool.map(purge, guids)) == [[] for _ in guids]
    purges = [
        r
        for r in read_audit_log(fresh_sandbox.state_dir)
        if r["cmdlet"] == "Remove-Mailbox" and r["outcome"] == "ok"
    ]
    assert sorted(str(r["parameters"]["Identity"]) for r in purges) == sorted(guids)
    with PowerShellSession(settings.winrm) as session:
        remaining = {str(r.facts.exchange_guid) for r in run_inventory(session, tenant).records}
    assert not remaining & set(guids)
