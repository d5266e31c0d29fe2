"""Full-stack figures through pypsrp -> WinRM endpoint -> host: (d) pipelines/s, (e) inventory end
to end, (f) purge throughput under the latency knob."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import connected_session, max_rss_mb, run_workers, sandbox, write_fixture
from orchestrator.inventory import run_inventory
from orchestrator.sandbox.embedded import showcase_fixture
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.sandbox.tenant.generate import generate_large_tenant
from orchestrator.sandbox.tenant.service import Tenant
from orchestrator.session import PowerShellSession


def pipelines(scratch: Path, seconds: float, worker_counts: tuple[int, ...] = (1, 4)) -> dict[str, Any]:
    """(d) A trivial script (``1``) as fast as possible: each worker has its own session."""
    out: dict[str, Any] = {}
    with sandbox(scratch / "pipelines") as conn:
        for workers in worker_counts:
            counts = [0] * workers

            def work(i: int, go: Callable[[], None], counts: list[int] = counts) -> float:
                with PowerShellSession(conn.settings().winrm) as session:
                    session.invoke("1", {})  # open the pool before the clock starts
                    go()
                    deadline = time.perf_counter() + seconds
                    while time.perf_counter() < deadline:
                        session.invoke("1", {})
                        counts[i] += 1
                    return time.perf_counter()

            wall = run_workers(workers, work)
            total = sum(counts)
            out[f"{workers}_workers"] = {
                "pipelines": total,
                "wall_s": wall,
                "per_s": total / wall,
                "mean_ms_per_pipeline": wall * workers / total * 1000,
            }
    return out


def _inventory_on(state_dir: Path, fixture: Any, *, trace: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    Tenant.init(state_dir, fixture).close()
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with sandbox(state_dir) as conn:
        open_s = time.perf_counter() - t0
        settings = conn.settings()
        with PowerShellSession(settings.winrm) as session:
            if trace:
                tracemalloc.start()
            t0 = time.perf_counter()
            inventory = run_inventory(session, settings.require_tenant())
            wall = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] if trace else None
            if trace:
                tracemalloc.stop()
    records = len(inventory.records)
    figures: dict[str, Any] = {
        "tenant_init_s": init_s,
        "open_s": open_s,
        "inventory_wall_s": wall,
        "records": records,
        "records_per_s": records / wall,
    }
    rss = max_rss_mb()
    if rss is not None:
        figures["max_rss_mb"] = rss
    if peak is not None:
        figures["tracemalloc_peak_mb"] = peak / (1024 * 1024)
    return figures


def inventory(scratch: Path, mailboxes: int) -> dict[str, Any]:
    """(e) Inventory end to end on the showcase and on a generated tenant.

    Peak memory: the process's max RSS (POSIX; it includes the in-process sandbox and is a
    high-water mark, so the large tenant's figure is the one that matters). Where there is no
    ``resource`` module (Windows) tracemalloc measures the inventory call instead (slower).
    """
    trace = max_rss_mb() is None
    out: dict[str, Any] = {
        "showcase": _inventory_on(scratch / "inv-showcase", showcase_fixture(), trace=trace)
    }
    t0 = time.perf_counter()
    data = generate_large_tenant(mailboxes=mailboxes)
    generate_s = time.perf_counter() - t0
    large = _inventory_on(scratch / "inv-large", data, trace=trace)
    del data
    out[f"generated_{mailboxes}"] = {"mailboxes": mailboxes, "generate_s": generate_s, **large}
    return out


def _purge_fixture(directory: Path, count: int, latency_ms: int) -> tuple[Path, list[str]]:
    builder = FixtureBuilder()
    guids = []
    for i in range(count):
        key = f"orphan{i:05d}"
        builder.user(key, state="Purged", deleted="-10d", purged="-9d", licenses=())
        guids.append(builder.mailbox(key, state="SoftDeleted", soft_deleted="-10d", soft_deleted_by="User"))
    if latency_ms:
        builder.data["knobs"]["cmdlet_latency_ms"] = {"Remove-Mailbox": latency_ms}
    return write_fixture(directory, builder.build(), f"purge-{count}-{latency_ms}.json"), guids


PURGE = "param($Id) Remove-Mailbox -Identity $Id -PermanentlyDelete -Confirm:$false"


def purge(scratch: Path, count: int, latencies: tuple[int, ...] = (0, 50)) -> dict[str, Any]:
    """(f) ``Remove-Mailbox -PermanentlyDelete`` of ``count`` orphaned soft-deleted mailboxes, one
    script per mailbox, at 1 and 4 workers (own sessions), with Remove-Mailbox latency 0 / 50 ms."""
    out: dict[str, Any] = {}
    for latency in latencies:
        for workers in (1, 4):
            directory = scratch / f"purge-{latency}-{workers}"
            directory.mkdir()
            fixture, guids = _purge_fixture(directory, count, latency)
            failed = [0] * workers
            with sandbox(directory / "state", fixture) as conn:

                def work(
                    i: int,
                    go: Callable[[], None],
                    guids: list[str] = guids,
                    failed: list[int] = failed,
                    workers: int = workers,
                ) -> float:
                    with connected_session(conn) as session:
                        go()
                        for guid in guids[i::workers]:
                            if not session.invoke(PURGE, {"Id": guid}).ok:
                                failed[i] += 1
                        return time.perf_counter()

                wall = run_workers(workers, work)
            out[f"latency_{latency}ms_{workers}_workers"] = {
                "purged": count - sum(failed),
                "failed": sum(failed),
                "wall_s": wall,
                "per_s": count / wall,
            }
    return out
