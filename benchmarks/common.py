"""Shared helpers: timing, memory, throw-away sandboxes, connected sessions."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import structlog

from orchestrator.sandbox.embedded import SandboxConnection, running_sandbox
from orchestrator.session import PowerShellSession

CONNECT_EXO = """
param($AppId, $Thumb, $Org)
Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $Thumb -Organization $Org -ShowBanner:$false
"""


def quiet_logs() -> None:
    """The session logs every invoke at info level; benchmarks want only warnings and worse."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def per_call(fn: Callable[[], object], *, min_time_s: float, min_calls: int = 5) -> dict[str, float]:
    """Call ``fn`` repeatedly for at least ``min_time_s``: calls, mean/median µs, calls per second."""
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < min_calls or time.perf_counter() - started < min_time_s:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    total = sum(samples)
    return {
        "calls": len(samples),
        "mean_us": total / len(samples) * 1e6,
        "median_us": statistics.median(samples) * 1e6,
        "per_s": len(samples) / total,
    }


def once(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def max_rss_mb() -> float | None:
    """The process's peak resident set size (POSIX only; None on Windows)."""
    try:
        import resource
    except ImportError:  # Windows: no resource module
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB elsewhere


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="mbxo-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_fixture(directory: Path, data: Mapping[str, Any], name: str = "fixture.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@contextlib.contextmanager
def sandbox(state_dir: Path, fixture: Path | None = None) -> Iterator[SandboxConnection]:
    with running_sandbox(state_dir, fixture=fixture) as conn:
        yield conn


def connected_session(conn: SandboxConnection) -> PowerShellSession:
    """An open session on which Connect-ExchangeOnline has run (call from the thread that uses it)."""
    session = PowerShellSession(conn.settings().winrm)
    result = session.invoke(
        CONNECT_EXO, {"AppId": conn.app_id, "Thumb": conn.certificate_thumbprint, "Org": conn.organization}
    )
    if not result.ok:
        raise RuntimeError(f"connect failed: {[e.message for e in result.errors]}")
    return session


def run_workers(workers: int, target: Callable[[int, Callable[[], None]], float]) -> float:
    """Run ``target(i, go)`` on ``workers`` threads. Each sets up (opens its session), calls ``go()``
    to wait for the others, does the timed work and returns ``time.perf_counter()`` when its work
    ended (before its teardown). Returns the wall seconds from the common start to the last end."""
    ready = threading.Barrier(workers + 1)
    ends: list[float] = []
    failures: list[BaseException] = []

    def go() -> None:
        ready.wait()

    def wrapped(i: int) -> None:
        try:
            ends.append(target(i, go))
        except BaseException as exc:
            failures.append(exc)
            ready.abort()

    threads = [threading.Thread(target=wrapped, args=(i,), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return max(ends) - t0
