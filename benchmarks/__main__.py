"""Run every benchmark, or those named on the command line: `python -m benchmarks [name ...]`.

The whole-process benchmarks (`idle_ha`, `scale_ha`) start real Home Assistant instances and
take many minutes, so they run only when named, alone, with their own options:
`python -m benchmarks idle_ha --minutes 3`.
"""

from __future__ import annotations

from collections.abc import Callable
import importlib
import sys
import time

from ._common import Report

NAMES = (
    "reconcile",
    "loop_stall",
    "push_latency",
    "stays_requests",
    "idle",
    "startup",
    "lan_sessions",
)
WHOLE_PROCESS = ("idle_ha", "scale_ha")


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks in order; 2 for an unknown name, otherwise 0."""
    if argv and argv[0] in WHOLE_PROCESS:
        module = importlib.import_module(f"benchmarks.{argv[0]}")
        with_options: Callable[[list[str]], Report] = module.main
        with_options(argv[1:]).print()
        return 0
    chosen = argv or list(NAMES)
    unknown = [name for name in chosen if name not in NAMES]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(NAMES)}, "
            f"or one of {', '.join(WHOLE_PROCESS)} (alone, with its options)"
        )
        return 2
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}")
        run: Callable[[], Report] = module.run
        started = time.perf_counter()
        report = run()
        report.notes.append(f"benchmark ran in {time.perf_counter() - started:.1f} s")
        report.print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
