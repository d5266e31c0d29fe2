"""The persistent tenant: init/open, write-through, restarts, threads, other processes, audit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.sandbox.runtime import SecureString, SwitchParameter
from orchestrator.sandbox.tenant import codec
from orchestrator.sandbox.tenant import lifecycle as lc
from orchestrator.sandbox.tenant.audit import read_audit
from orchestrator.sandbox.tenant.clock import ClockState
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.sandbox.tenant.generate import generate_large_tenant
from orchestrator.sandbox.tenant.model import MailboxState, TenantModel
from orchestrator.sandbox.tenant.service import Tenant, TenantExistsError
from orchestrator.sandbox.tenant.store import StoreError


def _fixture(n: int = 5) -> tuple[FixtureBuilder, dict[str, object]]:
    b = FixtureBuilder()
    for i in range(n):
        b.active(f"u{i}")
    return b, b.build()


def _snapshot(model: TenantModel) -> dict[tuple[str, str], str]:
    out = {("tenant", "tenant"): codec.dumps(model.tenant), ("knobs", "knobs"): codec.dumps(model.knobs)}
    for kind in codec.KINDS:
        if kind not in ("tenant", "knobs"):
            out.update({(kind, str(k)): codec.dumps(o) for k, o in model.collection(kind).items()})
    return out


def test_init_open_round_trip_and_refusals(tmp_path: Path) -> None:
    _, data = _fixture()
    with Tenant.init(tmp_path / "t", data) as tenant, tenant.transaction() as model:
        before = _snapshot(model)
    with Tenant.open(tmp_path / "t") as tenant, tenant.transaction() as model:
        assert _snapshot(model) == before
        assert tenant.now() == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(TenantExistsError, match="already"):
        Tenant.init(tmp_path / "t", data)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    with pytest.raises(TenantExistsError, match="not a sandbox"):
        Tenant.init(other, data)
    with pytest.raises(StoreError):
        Tenant.open(tmp_path / "missing")


def test_changes_survive_restart_and_every_change_is_written(tmp_path: Path) -> None:
    b, data = _fixture()
    tenant = Tenant.init(tmp_path / "t", data)
    x0, x1 = uuid.UUID(b.guid("mbx-u0")), uuid.UUID(b.guid("mbx-u1"))
    with tenant.transaction() as model:
        lc.set_litigation_hold(model, x0, tenant.now(), enabled=True, owner="legal")
    assert tenant.last_commit_rows == 1  # a single-mailbox change writes a single row
    with tenant.transaction() as model:
        lc.delete_user(model, uuid.UUID(b.guid("user-u0")), tenant.now())
        lc.remove_mailbox(model, x1, tenant.now())
        lc.purge_user(model, uuid.UUID(b.guid("user-u1")), tenant.now())
        lc.new_restore_request(
            model, x1, uuid.UUID(b.guid("mbx-u2")), tenant.now(), allow_legacy_dn_mismatch=True
        )
    events = tenant.advance(timedelta(days=31))
    assert events
    with tenant.transaction() as model:
        memory = _snapshot(model)
    tenant.close()
    with Tenant.open(tmp_path / "t") as again, again.transaction() as model:
        assert _snapshot(model) == memory  # nothing changed in memory was left unwritten
        assert model.mailboxes[x0].state is MailboxState.INACTIVE
        assert model.mailboxes[x1].state is MailboxState.PURGED
        assert again.now() == datetime(2026, 4, 2, 9, tzinfo=UTC)


def test_failed_transaction_rolls_back_memory_and_disk(tmp_path: Path) -> None:
    b, data = _fixture()
    with Tenant.init(tmp_path / "t", data) as tenant:
        x = uuid.UUID(b.guid("mbx-u0"))
        with pytest.raises(RuntimeError), tenant.transaction() as model:
            lc.set_litigation_hold(model, x, tenant.now(), enabled=True)
            raise RuntimeError("boom")
        with tenant.transaction() as model:
            assert not model.mailboxes[x].holds.litigation_hold_enabled
        with pytest.raises(lc.LifecycleError), tenant.transaction() as model:  # refusal: nothing to undo
            lc.restore_user(model, uuid.UUID(b.guid("user-u0")), tenant.now())
        assert tenant.reloads == 1


def test_nested_transactions_join_the_outer_one(tmp_path: Path) -> None:
    _, data = _fixture(1)
    with (
        Tenant.init(tmp_path / "t", data) as tenant,
        tenant.transaction() as outer,
        tenant.transaction() as inner,
    ):
        assert inner is outer


def test_concurrent_threads(tmp_path: Path) -> None:
    b, data = _fixture(8)
    tenant = Tenant.init(tmp_path / "t", data)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            x = uuid.UUID(b.guid(f"mbx-u{i}"))
            for n in range(20):
                with tenant.transaction() as model:
                    lc.set_litigation_hold(model, x, tenant.now(), enabled=n % 2 == 0)
                with tenant.transaction() as model:
                    assert lc.check_invariants(model) == []
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant.transaction() as model:
        memory = _snapshot(model)
        assert all(m.holds.delay_hold_applied for m in model.mailboxes.values())
    tenant.close()
    with Tenant.open(tmp_path / "t") as again, again.transaction() as model:
        assert _snapshot(model) == memory


def test_other_process_changes_are_detected(tmp_path: Path) -> None:
    b, data = _fixture(2)
    server = Tenant.init(tmp_path / "t", data)
    with server.transaction() as model:
        lc.delete_user(model, uuid.UUID(b.guid("user-u0")), server.now())
    code = (
        "import sys, datetime\n"
        "from orchestrator.sandbox.tenant.service import Tenant\n"
        "with Tenant.open(sys.argv[1]) as t:\n"
        "    t.advance(datetime.timedelta(days=31))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "t")], check=True, timeout=60)
    with server.transaction() as model:
        assert server.reloads == 1
        assert server.now() == datetime(2026, 4, 2, 9, tzinfo=UTC)
        assert model.mailboxes[uuid.UUID(b.guid("mbx-u0"))].state is MailboxState.PURGED
    with server.transaction():
        assert server.reloads == 1  # own commits do not trigger reloads
    server.close()


def test_clock_time_scale_without_sleeping() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = ClockState(start=start)
    clock.advance(timedelta(hours=2))
    clock.set_time_scale(60.0, real_now=1000.0)
    assert clock.now(real_now=1010.0) == start + timedelta(hours=2, minutes=10)
    clock.set_time_scale(0.0, real_now=1010.0)
    assert clock.now(real_now=5000.0) == start + timedelta(hours=2, minutes=10)
    assert ClockState.loads(clock.dumps()) == clock
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))


def test_audit_masks_secrets_and_survives_threads(tmp_path: Path) -> None:
    _, data = _fixture(1)
    with Tenant.init(tmp_path / "t", data) as tenant:

        def log(i: int) -> None:
            tenant.audit(
                {
                    "runspace": f"rs{i}",
                    "cmdlet": "Connect-ExchangeOnline",
                    "parameters": {
                        "AppId": "x",
                        "CertificatePassword": SecureString("hunter2"),
                        "Password": "plain",
                        "ShowBanner": SwitchParameter(False),
                        "Identity": uuid.UUID(int=i),
                    },
                    "outcome": "ok",
                    "duration_ms": 1.5,
                }
            )

        threads = [threading.Thread(target=log, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        records = read_audit(tmp_path / "t")
        assert len(records) == 20
        text = (tmp_path / "t" / "audit.jsonl").read_text()
        assert "hunter2" not in text and "plain" not in text
        first = records[0]
        assert first["parameters"]["CertificatePassword"] == "********"
        assert first["parameters"]["ShowBanner"] is False
        assert first["sim_time"].startswith("2026-03-02T09:00:00") and "real_time" in first


@pytest.mark.slow
def test_large_generated_tenant_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = generate_large_tenant(50_000, seed=1)
    started = time.perf_counter()
    Tenant.init(tmp_path / "big", data).close()
    init_s = time.perf_counter() - started
    started = time.perf_counter()
    tenant = Tenant.open(tmp_path / "big")
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    with tenant.transaction() as model:
        assert len(model.mailboxes) == 50_000
        x = next(iter(model.mailboxes))
        lc.set_litigation_hold(model, x, tenant.now(), enabled=True)
    tx_s = time.perf_counter() - started
    assert tenant.last_commit_rows == 1
    tenant.close()
    with capsys.disabled():
        print(f"\n50k tenant: init {init_s:.2f}s, open {open_s:.2f}s, first transaction {tx_s:.3f}s")
