"""Built package sizes: ``sam build`` without a container, and each function and layer against Lambda's limits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from vforensics.evaluation.perf._common import REPO, TEMPLATE, Log, _stderr
from vforensics.evaluation.perf.deployment import load_template

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.

LAMBDA_UNZIPPED_LIMIT = 262_144_000  # bytes: function + all its layers, unzipped
LAMBDA_ZIP_DIRECT_UPLOAD_LIMIT = 52_428_800  # bytes: a zip uploaded through the Lambda API (not via S3)


def _bin_dir() -> Path:
    here = Path(sys.executable).parent
    return here if (here / "vforensics").exists() else REPO / ".venv" / "bin"


def _python312_dir() -> Path:
    if sys.version_info[:2] == (3, 12) and (Path(sys.executable).parent / "python3.12").exists():
        return Path(sys.executable).parent
    found = shutil.which("python3.12")
    if not found:
        raise RuntimeError("sam build needs python3.12 on PATH (the Lambda runtime's interpreter)")
    return Path(found).parent


def sam_build(work: Path, log: Log = _stderr) -> Path:
    """``sam build`` without a container into ``work/build`` (as tests/infra/test_template.py)."""
    sam = REPO / ".venv" / "sam" / "bin" / "sam"  # its own venv: tools/sam/requirements.txt
    sam_cmd = str(sam) if sam.exists() else shutil.which("sam")
    if not sam_cmd:
        raise RuntimeError("sam (aws-sam-cli) not found in the venv or on PATH")
    env = dict(os.environ)
    env.update(
        PATH=f"{_python312_dir()}{os.pathsep}{_bin_dir()}{os.pathsep}{env.get('PATH', '')}",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
    )
    build_dir = work / "build"
    cmd = [sam_cmd, "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir)]
    cmd += ["--exclude", "AnalyzerAiModelFunction"]  # a container image: needs Docker
    started = time.perf_counter()
    result = subprocess.run(
        cmd + ["--cache-dir", str(work / "cache")], cwd=work, env=env, capture_output=True, text=True, timeout=1200
    )
    if result.returncode != 0:
        raise RuntimeError("sam build failed:\n" + result.stdout[-4000:] + result.stderr[-4000:])
    log(f"  sam build: {time.perf_counter() - started:.0f} s")
    return build_dir


def _tree_bytes(path: Path) -> int:
    """Unzipped size as Lambda counts it: the sum of the files' sizes."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _zipped_bytes(path: Path) -> int:
    """Size of a deflate zip of the folder (what sam deploy uploads), written to a temp file."""
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(path.rglob("*")):
                if p.is_file() and not p.is_symlink():
                    zf.write(p, p.relative_to(path))
        return tmp.tell()


def measure_sizes(build_dir: Path, log: Log = _stderr) -> dict[str, Any]:
    """Per zip function: code + layers unzipped vs 250 MB; each layer and function zipped."""
    built = load_template(build_dir / "template.yaml")
    resources = built["Resources"]
    global_layers = built.get("Globals", {}).get("Function", {}).get("Layers", [])
    layers = {
        name: build_dir / r["Properties"]["ContentUri"]
        for name, r in resources.items()
        if r.get("Type") == "AWS::Serverless::LayerVersion"
    }
    layer_rows = {}
    for name, path in layers.items():
        layer_rows[name] = {"unzipped_bytes": _tree_bytes(path), "zipped_bytes": _zipped_bytes(path)}
        log(f"  layer {name}: {layer_rows[name]['unzipped_bytes'] / 1e6:.1f} MB unzipped")
    functions = {}
    for name, r in resources.items():
        props = r.get("Properties", {})
        if r.get("Type") != "AWS::Serverless::Function" or props.get("PackageType") == "Image":
            continue
        code_dir = build_dir / props["CodeUri"]
        # SAM adds a function's own Layers to the global ones
        refs = [
            ref["Ref"] for ref in [*global_layers, *props.get("Layers", [])] if isinstance(ref, dict) and "Ref" in ref
        ]
        code = _tree_bytes(code_dir)
        layer_bytes = sum(layer_rows[ref]["unzipped_bytes"] for ref in refs if ref in layer_rows)
        functions[name] = {
            "code_bytes": code,
            "code_zipped_bytes": _zipped_bytes(code_dir),
            "layers": refs,
            "layer_bytes": layer_bytes,
            "total_bytes": code + layer_bytes,
            "headroom_bytes": LAMBDA_UNZIPPED_LIMIT - code - layer_bytes,
            "fits": code + layer_bytes < LAMBDA_UNZIPPED_LIMIT,
        }
    return {
        "build_dir": str(build_dir),
        "unzipped_limit_bytes": LAMBDA_UNZIPPED_LIMIT,
        "zip_direct_upload_limit_bytes": LAMBDA_ZIP_DIRECT_UPLOAD_LIMIT,
        "layers": layer_rows,
        "functions": functions,
    }
