"""Run the benchmarks: `python -m bench` for all, `python -m bench students` for some.

Slow numbers never fail the run (timings vary between machines; the ratios are for people to
read), but a benchmark that crashes does: the exit status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import django

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
PREFIX = "bench_"


def available() -> list[str]:
    here = str(Path(__file__).resolve().parent)
    return sorted(m.name.removeprefix(PREFIX) for m in pkgutil.iter_modules([here]) if m.name.startswith(PREFIX))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "20")))
    parser.add_argument("--warmup", type=int, default=int(os.environ.get("BENCH_WARMUP", "3")))
    args = parser.parse_args(argv)
    args.names = [name.removeprefix(PREFIX) for name in args.names] or available()
    unknown = sorted(set(args.names) - set(available()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (available: {', '.join(available())})")
    return args


def _amount(value: float, unit: str) -> str:
    # Times keep a decimal; counts and rates (students, errors, rows/s) are whole numbers.
    return f"{value:,.1f} {unit}" if unit == "ms" else f"{value:,.0f} {unit}"


def print_table(results) -> None:
    """One line per result; a result's note goes on the line below it, indented, so that long
    notes do not widen the table."""
    headers = ("name", "figure", "baseline", "ratio", "queries")
    rows = [
        (
            r.name,
            _amount(r.figure, r.unit),
            "" if r.baseline is None else _amount(r.baseline, r.unit),
            "" if r.ratio is None else f"{r.ratio:.1f}x" if r.ratio >= 1 else f"{r.ratio:.2f}x",
            "" if r.queries is None else str(r.queries),
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True)))
    print(line)
    print("-" * len(line))
    for result, row in zip(results, rows, strict=True):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if result.note:
            print(f"    ↳ {result.note}")


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinfo.settings.bench")
    args = parse_args(argv)
    django.setup()
    # Imported after setup: they touch models and the database.
    from .dataset import ensure_dataset
    from .harness import Context

    ctx = Context(dataset=ensure_dataset(), runs=args.runs, warmup=args.warmup)
    params = ctx.dataset.params
    print(
        f"Dataset: {ctx.dataset.database}, {params.students:,} students in {params.areas * params.schools} schools; "
        f"median of {ctx.runs} runs after {ctx.warmup} warm-up"
    )

    results, failed = [], []
    for name in args.names:
        print(f"\n== {name}", flush=True)
        try:
            module_results = importlib.import_module(f"bench.{PREFIX}{name}").run(ctx)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        print_table(module_results)
        results.extend((name, r) for r in module_results)

    CACHE_DIR.mkdir(exist_ok=True)
    report = {
        "finished_at": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "dataset": ctx.dataset.as_json(),
        "runs": ctx.runs,
        "warmup": ctx.warmup,
        "results": [{"benchmark": name, **r.as_json()} for name, r in results],
        "failed": failed,
    }
    (CACHE_DIR / "last.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    if failed:
        print(f"\nCrashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
