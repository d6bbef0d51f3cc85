"""Scale bench for `judge report`: a synthetic store with about a million score rows.

Prints the insert rate of the synthetic writer, then builds the report in a fresh child process
(so its peak memory is the report's own, not the writer's) and prints build time, render times and
peak memory. Targets: build < 3 s, peak < 1 GiB. Figures only; nothing is asserted.

    .venv/bin/python bench/report_scale.py                  # 1,000,000 rows
    .venv/bin/python bench/report_scale.py --rows 200000 --keep /tmp/bench.duckdb
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _report_child(db: str, n_boot: int) -> None:
    """Build and render the report; print the figures as one JSON line."""
    from judge.report import build_report, render
    from judge.store import Store

    t0 = time.perf_counter()
    store = Store.open_readonly(db)
    report = build_report(store, n_boot=n_boot)
    build = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    tracemalloc.start()  # a second build, traced: tracemalloc slows Python allocations down
    build_report(store, n_boot=n_boot)
    py_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    renders = {}
    for fmt in ("json", "md", "html", "terminal"):
        t = time.perf_counter()
        out = render(report, fmt)  # type: ignore[arg-type]
        renders[fmt] = (time.perf_counter() - t, len(out or ""))
    store.close()
    skipped = [k for k, v in report.sections.model_dump().items() if v["skipped"]]
    print(json.dumps({"build_s": build, "py_peak": py_peak, "rss_peak": rss, "renders": renders, "skipped": skipped}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="score rows to write (approximate)")
    ap.add_argument("--samples", type=int, default=2, help="answers per model and prompt")
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--keep", type=Path, help="write the database here and keep it")
    ap.add_argument("--report-only", metavar="DB", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.report_only:
        _report_child(args.report_only, args.n_boot)
        return

    from judge.store import Store
    from tests.fakes.synth import synthetic_scores

    tmp = None
    if args.keep:
        db = args.keep
        db.unlink(missing_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "bench.duckdb"
    t0 = time.perf_counter()
    counts = synthetic_scores(db, n_rows=args.rows, samples=args.samples)
    write_s = time.perf_counter() - t0
    with Store.open_readonly(db) as s:
        n_scores = s.query("SELECT count(*) FROM scores")[1][0][0]
    total = counts["generations"] + counts["verdict_rows"] + counts["comparison_rows"] + counts["human_labels"]
    print(f"database     {db} ({db.stat().st_size / 2**20:.0f} MiB)")
    print(
        f"rows         {n_scores:,} in `scores`; {counts['generations']:,} generations, "
        f"{counts['comparison_rows']:,} comparison rows, {counts['human_labels']:,} human labels"
    )
    print(
        f"insert       {write_s:.2f} s: {counts['verdict_rows'] / write_s:,.0f} score rows/s "
        f"({total / write_s:,.0f} rows/s over all tables)"
    )

    child = subprocess.run(
        [sys.executable, __file__, "--report-only", str(db), "--n-boot", str(args.n_boot)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        raise SystemExit(child.returncode)
    fig = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"report build {fig['build_s']:.2f} s  (target < 3 s; n_boot={args.n_boot})")
    print(
        f"peak memory  {fig['rss_peak'] / 2**20:.0f} MiB peak RSS of the report process (Python, numpy and "
        f"DuckDB), {fig['py_peak'] / 2**20:.0f} MiB of it traced by tracemalloc  (target < 1024 MiB)"
    )
    print("render       " + ", ".join(f"{k} {t:.2f} s ({n / 1024:.0f} KiB)" for k, (t, n) in fig["renders"].items()))
    if fig["skipped"]:
        print(f"skipped      {', '.join(fig['skipped'])}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
