"""``python -m benchmarks [--quick] [--mailboxes N] [--output FILE]``: run, print, write JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import micro, stack
from benchmarks.common import quiet_logs, scratch_dir

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    return str(value)


def _rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    a = results["a_render_bind"]
    rows.append(("a render+bind", "inventory, first call", f"{_fmt(a['first_call_ms'])} ms"))
    rows.append(("a render+bind", "inventory, per call", f"{_fmt(a['mean_us'])} µs ({_fmt(a['per_s'])}/s)"))
    for label, b in results["b_binder"].items():
        rows.append(
            ("b binder", label.split(" -", 1)[0], f"{_fmt(b['per_s'])} binds/s ({_fmt(b['mean_us'])} µs)")
        )
    c = results["c_evaluator"]
    rows.append(
        (
            "c evaluator",
            f"parse cold ({c['script_chars']} chars)",
            f"{_fmt(c['parse_cold']['mean_us'] / 1000)} ms",
        )
    )
    rows.append(("c evaluator", "parse cached", f"{_fmt(c['parse_cached']['mean_us'])} µs"))
    rows.append(
        (
            "c evaluator",
            f"run on host, showcase ({c['rows_per_run']} rows)",
            f"{_fmt(c['run']['mean_us'] / 1000)} ms",
        )
    )
    for key, d in results["d_pipelines"].items():
        rows.append(
            (
                "d pipelines",
                key.replace("_", " "),
                f"{_fmt(d['per_s'])}/s ({_fmt(d['mean_ms_per_pipeline'])} ms each)",
            )
        )
    for key, e in results["e_inventory"].items():
        label = key.replace("_", " ")
        rows.append(
            (
                "e inventory",
                f"{label}: tenant init / open",
                f"{_fmt(e['tenant_init_s'])} s / {_fmt(e['open_s'])} s",
            )
        )
        rows.append(
            (
                "e inventory",
                f"{label}: inventory",
                f"{_fmt(e['inventory_wall_s'])} s, {e['records']} records, {_fmt(e['records_per_s'])}/s",
            )
        )
        if "max_rss_mb" in e:
            rows.append(("e inventory", f"{label}: max RSS (process)", f"{_fmt(e['max_rss_mb'])} MB"))
        if "tracemalloc_peak_mb" in e:
            rows.append(("e inventory", f"{label}: tracemalloc peak", f"{_fmt(e['tracemalloc_peak_mb'])} MB"))
    for key, f in results["f_purge"].items():
        rows.append(
            (
                "f purge",
                key.replace("_", " "),
                f"{_fmt(f['per_s'])}/s ({f['purged']} in {_fmt(f['wall_s'])} s)",
            )
        )
    return rows


def _print_table(rows: list[tuple[str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    for section, what, figure in rows:
        print(f"{section:<{widths[0]}}  {what:<{widths[1]}}  {figure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a reduced run (about a minute)")
    parser.add_argument("--mailboxes", type=int, help="generated tenant size (default 50000, --quick 5000)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    args = parser.parse_args(argv)
    quick = args.quick
    mailboxes = args.mailboxes or (5_000 if quick else 50_000)
    micro_s = 0.3 if quick else 1.0
    quiet_logs()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "mode": "quick" if quick else "full",
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        }
    }
    with scratch_dir() as scratch:
        steps = [
            ("a_render_bind", lambda: micro.render_and_bind(micro_s)),
            ("b_binder", lambda: micro.binder(micro_s)),
            ("c_evaluator", lambda: micro.evaluator(scratch, micro_s)),
            ("d_pipelines", lambda: stack.pipelines(scratch, 2.0 if quick else 5.0)),
            ("e_inventory", lambda: stack.inventory(scratch, mailboxes)),
            ("f_purge", lambda: stack.purge(scratch, 40 if quick else 200)),
        ]
        for key, step in steps:
            t0 = time.perf_counter()
            print(f"running {key} ...", file=sys.stderr, flush=True)
            results[key] = step()
            results["meta"][f"{key}_seconds"] = round(time.perf_counter() - t0, 2)
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 2)
    _print_table(_rows(results))
    print(f"total {results['meta']['total_seconds']} s ({results['meta']['mode']} run)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
