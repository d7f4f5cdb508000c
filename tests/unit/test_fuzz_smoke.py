"""Each atheris fuzz target (tools/fuzz/) for a bounded time, seeded from the generated corpus.

A target fails on any uncaught exception (a crash file is written to the run's folder), on
an input slower than libFuzzer's -timeout, and on memory over -rss_limit_mb. The known
issue-21 shapes are skipped inside the targets (see their docstrings). All targets together
take about FUZZ_SECONDS x 9 plus start-up (~2.5 minutes on 2 cores); `make fuzz` runs them
longer (FUZZ_SECONDS=600 by default).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("atheris")

pytestmark = pytest.mark.slow

TARGETS = ("sniff", "exif", "xmp", "iptc", "icc", "png", "c2pa", "jpeg_segments", "structure")
FUZZ_SECONDS = int(os.environ.get("VF_FUZZ_SMOKE_SECONDS", "12"))
DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+ .*?exec/s: (\d+)")


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target(target, root, tmp_path):
    args = [
        sys.executable,
        str(root / "tools" / "fuzz" / f"fuzz_{target}.py"),
        f"-max_total_time={FUZZ_SECONDS}",
        "-runs=1000000",
        "-seed=21",
        "-timeout=10",
        "-rss_limit_mb=3072",
        "-max_len=65536",
        "-print_final_stats=1",
    ]
    env = {**os.environ, "VF_FUZZ_WORK": str(tmp_path), "VF_EXIFTOOL": "off"}
    done = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=FUZZ_SECONDS + 120, env=env)
    output = done.stdout + done.stderr
    crashes = sorted(p.name for p in (tmp_path / target).glob("*") if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert done.returncode == 0 and not crashes, f"{target}: rc {done.returncode}, {crashes}\n{output[-4000:]}"
    stats = DONE.search(output)
    assert stats, output[-2000:]
    runs, cov, ft, corp, rate = stats.groups()
    print(f"\n{target}: {runs} runs, cov {cov}, ft {ft}, corpus {corp}, {rate} exec/s in {FUZZ_SECONDS} s")
