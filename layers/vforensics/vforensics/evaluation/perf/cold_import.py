"""Cold import of each Lambda's code (``import app``) in a fresh, isolated interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from vforensics.evaluation.perf._common import FUNCTIONS, LAYER_SOURCE, Log, _median, _stderr
from vforensics.evaluation.perf.deployment import load_template

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.


def _function_folders() -> list[Path]:
    return sorted(p.parent for p in FUNCTIONS.glob("*/app.py"))


def _built_code_dirs(build_dir: Path) -> dict[str, Path]:
    """Source folder name (functions/<name>) -> a built function folder with that code."""
    source = load_template()
    built = load_template(build_dir / "template.yaml")
    out: dict[str, Path] = {}
    for logical_id, r in source["Resources"].items():
        if r.get("Type") != "AWS::Serverless::Function" or r["Properties"].get("PackageType") == "Image":
            continue
        folder = Path(r["Properties"]["CodeUri"]).name
        built_uri = built["Resources"][logical_id]["Properties"]["CodeUri"]
        out.setdefault(folder, build_dir / built_uri)
    return out


_IMPORT_CODE = """
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = [sys.argv[1], sys.argv[2]]
sys.path.append(sys.argv[3])
import app
t1 = time.perf_counter()
import numpy, vforensics
rss = next((int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')), 0)
print(json.dumps({"import_s": t1 - t0, "numpy": numpy.__file__, "vforensics": vforensics.__file__,
                  "modules": len(sys.modules), "rss_mb": rss / 1024}))
"""


def measure_cold_imports(build_dir: Path | None, repeats: int = 3, log: Log = _stderr) -> dict[str, Any]:
    """Median time of ``import app`` per function folder, each in a fresh interpreter
    (``-I -S -B``: nothing from this venv but the runtime's boto3, appended last)."""
    if build_dir is not None:
        layer = build_dir / "VForensicsLayer" / "python"
        code_dirs = _built_code_dirs(build_dir)
        origin = "the built layer (`<build dir>/VForensicsLayer/python`, precompiled .pyc)"
    else:
        layer = LAYER_SOURCE
        code_dirs = {p.name: p for p in _function_folders()}
        has_pyc = any((LAYER_SOURCE / "vforensics").rglob("__pycache__"))
        origin = (
            "from source (layers/vforensics"
            + (", with __pycache__ left by earlier runs" if has_pyc else ", without precompiled .pyc")
            + "; numpy, OpenCV, Pillow, Powertools from the venv)"
        )
    runtime = sysconfig.get_paths()["purelib"]  # boto3/botocore, as the Lambda runtime provides them
    env = dict(os.environ) | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "vforensics",
        "POWERTOOLS_METRICS_NAMESPACE": "VisualForensics",
        "VF_RESULTS_BUCKET": "placeholder",
        "VF_TABLE_NAME": "placeholder",
    }
    rows = {}
    for folder, code_dir in sorted(code_dirs.items()):
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-I", "-S", "-B", "-c", _IMPORT_CODE, str(code_dir), str(layer), runtime],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            total = time.perf_counter() - started
            if proc.returncode != 0:
                raise RuntimeError(f"import app in {code_dir} failed: {proc.stderr[-3000:]}")
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            run["process_s"] = total
            runs.append(run)
        rows[folder] = {
            "import_s": _median(r["import_s"] for r in runs),
            "process_s": _median(r["process_s"] for r in runs),
            "rss_mb": _median(r["rss_mb"] for r in runs),
            "modules": runs[0]["modules"],
            "numpy_from": runs[0]["numpy"],
            "vforensics_from": runs[0]["vforensics"],
            "runs": len(runs),
        }
        log(f"  import {folder}: {rows[folder]['import_s']:.2f} s")
    return {"origin": origin, "layer": str(layer), "functions": rows}
