"""Lay out the model Lambda's image contents in a folder, without Docker, and list their sizes.

    .venv/bin/python tools/stage_model_image.py DEST [--json sizes.json]

Docker is not available on the machines this project is built on, so the container image of
``AnalyzerAiModelFunction`` cannot be built here. This script follows functions/model/Dockerfile
instead: each ``pip install -r`` line installs the same requirements (manylinux x86_64 wheels
for CPython 3.12, as the base image would) into ``DEST/site-packages``, each ``COPY`` copies
the same files (``${LAMBDA_TASK_ROOT}`` -> ``DEST/task``, ``/opt/...`` -> ``DEST/opt/...``),
each ``RUN rm -rf`` removes the same paths, and the ``ENV`` lines are written to
``DEST/env.json``. tests/infra runs the handler from the result with nothing else on
``sys.path``; the benchmark lists the sizes. What it cannot check is the base image itself
(``public.ecr.aws/lambda/python:3.12``: Python, boto3, the runtime interface client).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "functions" / "model" / "Dockerfile"
PIP_PLATFORM = ["--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64"]


def instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line[:-1].strip()}" if line.endswith("\\") else f"{pending} {line}"
        if not line.endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
            pending = ""
    return out


def _target(dest: Path, path: str) -> Path:
    path = path.replace("${LAMBDA_TASK_ROOT}", "/task")
    return dest / path.lstrip("/")


def stage(dest: Path) -> dict[str, str]:
    """Follow the Dockerfile into ``dest``; returns the image's ENV."""
    dest.mkdir(parents=True, exist_ok=True)
    site = dest / "site-packages"
    copied: dict[str, Path] = {}  # image path -> staged file, for pip -r of copied files
    env = {}
    for keyword, args in instructions():
        if keyword == "COPY":
            *sources, target = shlex.split(args)
            for source in sources:
                src = ROOT / source
                into = _target(dest, target)
                to = into / src.name if target.endswith("/") or len(sources) > 1 else into
                to.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, to, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(src, to)
                copied[target.replace("${LAMBDA_TASK_ROOT}", "/task")] = to
        elif keyword == "RUN" and "pip install" in args:
            command = args.split("&&")[0].split()
            files = [copied[command[i + 1]] for i, word in enumerate(command) if word == "-r"]
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
            pip += ["--target", str(site), "--python-version", "3.12", "--only-binary=:all:", *PIP_PLATFORM]
            if "--no-deps" in command:
                pip.append("--no-deps")
            for f in files:
                pip += ["-r", str(f)]
            subprocess.run(pip, check=True)
        elif keyword == "RUN" and args.startswith("rm -rf "):
            for path in (_target(dest, p) for p in shlex.split(args)[2:]):
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        elif keyword == "ENV":
            key, _, value = args.partition("=")
            env[key] = value.replace("/opt/", f"{dest}/opt/")
    (dest / "env.json").write_text(json.dumps(env, indent=2) + "\n")
    return env


def sizes(dest: Path, top: int = 12) -> list[tuple[str, int]]:
    """Bytes per top-level entry of site-packages, the task folder and /opt, largest first."""
    rows = []
    for folder in (dest / "site-packages", dest / "task", dest / "opt"):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.endswith(".dist-info"):
                continue
            total = (
                sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
                if entry.is_dir()
                else entry.stat().st_size
            )
            rows.append((f"{folder.name}/{entry.name}", total))
    rows.sort(key=lambda r: -r[1])
    rest = sum(b for _, b in rows[top:])
    return rows[:top] + ([("(everything else)", rest)] if rest else [])


def _bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--json", type=Path, help="write the size table here")
    args = parser.parse_args(argv)
    stage(args.dest)
    table = sizes(args.dest)
    total = sum(b for _, b in table)
    for name, size in table:
        print(f"{size / 1e6:8.1f} MB  {name}")
    print(f"{total / 1e6:8.1f} MB  in all (on top of the base image)")
    if args.json:
        args.json.write_text(json.dumps({"entries": table, "total_bytes": total}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
