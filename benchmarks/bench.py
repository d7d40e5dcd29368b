"""Speed and memory of wfchain on a generated project (prints figures; asserts nothing).

    python benchmarks/bench.py [--instances N ...] [--verify/--no-verify]

For each N it creates N instances (spread over the bundled templates and 10
namespaces) in a temporary folder, then times, in this process:
  build  - load + validate + identity + render (+ verify, when render runs it) in memory
  write  - writing the tree to an empty output folder
  again  - a second full render over the written tree (nothing changes)
and reports the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.pipeline import build  # noqa: E402
from generator.write import write_tree  # noqa: E402

PARAMS = {
    "nightly-etl": "params:\n  table: sales.orders_{i}\n  warehouse_dsn_secret: dsn-{i}\n"
                   "  report_bucket: reports-{i}\n",
}


def make_project(folder: Path, count: int) -> None:
    shutil.copytree(ROOT / "templates", folder / "templates")
    samples = sorted((ROOT / "instances").glob("*/*.yaml"))
    for i in range(count):
        sample = samples[i % len(samples)].read_text(encoding="utf-8")
        lines = [line for line in sample.splitlines() if not line.startswith("id:")]
        target = folder / "instances" / f"ns-{i % 10}" / f"inst-{i:05d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        make_project(project, count)
        start = time.perf_counter()
        result = build(project)
        built = time.perf_counter() - start
        if not result.ok:
            print(f"{count}: build failed: {result.diagnostics[:3]}")
            return
        start = time.perf_counter()
        write_tree(project / "rendered", result.files)
        written = time.perf_counter() - start
        start = time.perf_counter()
        again = build(project)
        write_tree(project / "rendered", again.files)
        second = time.perf_counter() - start
        size = sum(len(f.content) for f in result.files)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{count:>6} instances  {len(result.files):>7} files  {size / 1e6:7.1f} MB  "
              f"build {built:7.2f} s ({built / count * 1000:6.2f} ms/instance)  "
              f"write {written:6.2f} s  again {second:7.2f} s  peak RSS {peak:7.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    for count in args.instances:
        measure(count)


if __name__ == "__main__":
    main()
