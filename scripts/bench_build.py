"""Benchmark: build throughput and peak memory of the converter (not a test; prints numbers).

Replicates the embedded 80-row ToolRL test split into parquet sources of increasing size and
builds each with the same code path as ``rlla-4k-gpt build``, in a fresh process per size, so
the peak resident memory of each run can be compared (flat memory = the peak barely grows).

    python scripts/bench_build.py [--sizes 1000 2000 4000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import pyarrow as pa, pyarrow.parquet as pq
from rlla_4k_gpt.build.write import build
from rlla_4k_gpt.convert.harmony import encoding
from rlla_4k_gpt.build.sources import sample_path

n, folder = int(sys.argv[1]), sys.argv[2]
table = pq.read_table(sample_path())
copies = pa.concat_tables([table] * (n // table.num_rows + 1)).slice(0, n)
src = f"{folder}/train.parquet"
pq.write_table(copies, src)
encoding()  # load the vocab before timing
start = time.perf_counter()
report = build(f"{folder}/out", "rl", {"train": src})
seconds = time.perf_counter() - start
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
split = report.splits["train"]
print(json.dumps({"rows_read": split.read, "rows_written": split.written, "seconds": round(seconds, 2),
                  "rows_per_s": round(split.read / seconds), "peak_rss_mb": round(rss_mb)}))
"""


def run(size: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([sys.executable, "-c", CHILD, str(size), folder], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    args = parser.parse_args()
    print(f"{'rows':>6} {'written':>8} {'seconds':>8} {'rows/s':>7} {'peak RSS MB':>12}")
    for size in args.sizes:
        r = run(size)
        print(f"{r['rows_read']:>6} {r['rows_written']:>8} {r['seconds']:>8} {r['rows_per_s']:>7} {r['peak_rss_mb']:>12}")
    print("target: 4,000 rows in <= 10 s on 2 cores, with flat memory")


if __name__ == "__main__":
    main()
