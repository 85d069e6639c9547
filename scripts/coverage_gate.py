"""Per-module coverage gate over `coverage json`: every module at least 95 %, the flows 100 %.

The total (95 %) is gated by coverage itself; this adds the per-module rule of the quality
scale, for every module of the integration and the simulators. Run by scripts/test after
both legs.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys

PACKAGE = "custom_components/smartlock_tuya/"
MODULE_MIN = 95.0
#: The config, options and subentry flows: every line and branch.
FLOWS = {f"{PACKAGE}config_flow.py", f"{PACKAGE}lock_flow.py"}
FLOW_MIN = 100.0


def main(report: str) -> int:
    """Print every module under its minimum, and fail if there is one (or a flow is missing)."""
    files = json.loads(Path(report).read_text(encoding="utf-8"))["files"]
    failed = False
    for path, data in sorted(files.items()):
        percent = float(data["summary"]["percent_covered"])
        wanted = FLOW_MIN if path in FLOWS else MODULE_MIN
        if percent < wanted:
            failed = True
            print(f"coverage FAIL: {path} {percent:.1f} % < {wanted:.0f} %")
    for path in sorted(FLOWS - files.keys()):
        failed = True
        print(f"coverage FAIL: {path} was not measured")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "coverage.json"))
