"""`make bench` / `python -m bench`: run the benchmarks and write .state/bench/report.{json,md}.

    python -m bench                      # every benchmark, default sizes
    python -m bench handler queries      # some of them
    python -m bench --records 200000     # smaller data for a quick look

Benchmarks are not tests: `make test` never runs them, and nothing here asserts a target; the
report says which targets are met and, where one is not, what the bottleneck is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bench import backfill, builder, end_to_end, handler, producer, queries, up
from bench.report import BenchResult, ratio_text, write
from bench.workload import ROOT

BENCHMARKS: dict[str, Callable[..., BenchResult]] = {
    "handler": handler.run,
    "builder": builder.run,
    "queries": queries.run,
    "producer": producer.run,
    "end_to_end": end_to_end.run,
    "up": up.run,
    "backfill": backfill.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--records", type=int, help="records per benchmark instead of each one's default")
    parser.add_argument("--out", default=str(ROOT), help="folder for report.json and report.md")
    args = parser.parse_args(argv)
    results = []
    for name in args.names or list(BENCHMARKS):
        print(f"bench: {name} …", flush=True)
        result = BENCHMARKS[name](**({"records": args.records} if args.records else {}))
        for m in result.measurements:
            ratio = f" ({ratio_text(m.ratio)} {m.reference_name})" if m.ratio is not None else ""
            met = "" if m.met is None else (" target met" if m.met else " TARGET MISSED")
            print(f"  {m.name}: {m.value:,.2f} {m.unit}{ratio}{met}", flush=True)
        results.append(result)
    json_path, md_path = write(results, Path(args.out))
    print(f"bench: wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
