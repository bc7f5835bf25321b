"""`make bench`: every benchmark, one after the other, each printing its ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = ["bench_import.py", "bench_point_read.py", "bench_ledger.py", "bench_policy.py",
           "bench_guard.py", "bench_edm.py", "bench_scan.py", "bench_api.py",
           "bench_presidio.py", "bench_breach.py", "bench_share.py", "bench_encryption.py",
           "bench_watch.py"]


def main() -> int:
    here = Path(__file__).parent
    status = 0
    for name in BENCHES:
        print(f"\n== {name}", flush=True)
        status |= subprocess.call([sys.executable, str(here / name)], cwd=here)  # noqa: S603 -- our own scripts
    return status


if __name__ == "__main__":
    sys.exit(main())
