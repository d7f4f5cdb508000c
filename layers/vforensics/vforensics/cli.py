"""The ``vforensics`` command line.

``vforensics analyze PATH... --out DIR`` runs the full pipeline (the real state machine on
the embedded engine) on each file and writes ``DIR/<file name>/`` with report.json,
report.zip, maps/ and heatmaps/. ``vforensics metadata FILE`` prints the metadata-only
report as JSON; ``vforensics compare A B`` prints the comparison as JSON (``--out DIR``
also writes its SSIM difference map and heatmap). ``vforensics serve`` answers the HTTP API
(docs/API.md) on this machine. Exit status: 0 when every file was
analysed, 1 when any file was refused or unreadable, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from vforensics import __version__
from vforensics.local.terminal import safe_json_text, safe_text
from vforensics.media.sniff import HEADER_BYTES, sniff


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in TOOLS:  # each tool parses its own options
        return run_tool(argv[0], argv[1:])
    parser = argparse.ArgumentParser(
        prog="vforensics", description="Image forensics: was this image manipulated, and where?"
    )
    parser.add_argument("--version", action="version", version=f"vforensics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("analyze", help="analyse images through the full pipeline on an embedded AWS engine")
    p.add_argument("paths", nargs="+", type=Path, help="image files, or folders of them")
    p.add_argument("--out", type=Path, default=Path("vforensics-out"), help="output folder (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=1, help="files analysed at once (default: %(default)s)")
    p.add_argument("--verbose", action="store_true", help="show the handlers' logs")
    p = sub.add_parser("metadata", help="print the metadata-only report of an image as JSON")
    p.add_argument("file", type=Path)
    p = sub.add_parser("compare", help="compare two images (SSIM, perceptual hashes, SHA-256) as JSON")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--out", type=Path, help="also write the SSIM difference map and heatmap here")
    p = sub.add_parser("serve", help="serve the HTTP API (docs/API.md) on this machine, on the embedded engine")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s; 0 picks a free one)")
    p.add_argument("--verbose", action="store_true", help="show the handlers' logs")
    for name, help_text in TOOLS.items():
        tool = sub.add_parser(name, help=help_text, add_help=False)
        tool.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "analyze":
        return analyze(args)
    if args.command == "metadata":
        return metadata(args)
    if args.command == "compare":
        return compare(args)
    if args.command == "serve":
        return serve(args)
    return run_tool(args.command, args.args)


TOOLS = {
    "synth": "make labelled forgery cases with exact masks from camera originals",
    "eval": "run the pipeline on labelled cases and measure detection and localisation",
    "perf": "measure speed, memory, cold imports, package sizes and cost per 1,000 images",
}


def run_tool(name: str, argv: list[str]) -> int:
    """The measurement tools (vforensics.evaluation), each with its own options (--help)."""
    import importlib

    module = {"synth": "synth", "eval": "evaluate", "perf": "perf"}[name]
    return int(importlib.import_module(f"vforensics.evaluation.{module}").main(argv) or 0)


def expand(paths: list[Path]) -> tuple[list[Path], int]:
    """Files as given, plus the media files inside given folders (recursive, sorted).

    Inside folders, hidden files and files whose first bytes are not a known image or
    video type are skipped (their number is returned); files named explicitly are always
    analysed, so a bad one is reported.
    """
    out: list[Path] = []
    skipped = 0
    for p in paths:
        if not p.is_dir():
            out.append(p)
            continue
        for f in sorted(p.rglob("*")):
            if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts):
                continue
            if _looks_like_media(f):
                out.append(f)
            else:
                skipped += 1
    return out, skipped


def _looks_like_media(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return sniff(fh.read(HEADER_BYTES)) is not None
    except OSError:
        return True  # let the analysis report why it cannot be read


def analyze(args: argparse.Namespace) -> int:
    from vforensics.local.engine import LocalEngine
    from vforensics.local.runner import analyze_files

    paths, skipped = expand(args.paths)
    if skipped:
        print(f"skipping {skipped} file(s) in the given folders that are not images or videos", file=sys.stderr)
    if not paths:
        print("vforensics: no files to analyse", file=sys.stderr)
        return 1
    total = len(paths)
    started = time.perf_counter()
    with LocalEngine(quiet=not args.verbose) as engine:

        def report(i: int, outcome) -> None:
            prefix = f"[{i + 1}/{total}] " if total > 1 else ""
            print(prefix + describe(outcome), file=sys.stdout if outcome.ok else sys.stderr, flush=True)

        outcomes = analyze_files(engine, paths, args.out, jobs=max(1, args.jobs), on_done=report)
    failed = [o for o in outcomes if not o.ok]
    if total > 1:
        print(
            f"{total - len(failed)} of {total} files analysed in {time.perf_counter() - started:.1f} s; "
            f"reports in {args.out}{os.sep}"
        )
    return 1 if failed else 0


def metadata(args: argparse.Namespace) -> int:
    from vforensics.errors import MediaRejected
    from vforensics.local.files import LocalFileError, read_local_file
    from vforensics.report.metadata import metadata_report

    try:
        report = metadata_report(read_local_file(args.file), args.file.name)
    except LocalFileError as exc:
        print(f"vforensics: {safe_text(str(exc))}", file=sys.stderr)
        return 1
    except MediaRejected as rejected:
        report = {"error": {"code": rejected.code, "message": rejected.message}, "file_name": args.file.name}
    print(safe_json_text(json.dumps(report, indent=2, ensure_ascii=False, default=str)))
    return 1 if "error" in report else 0


def compare(args: argparse.Namespace) -> int:
    from vforensics.errors import MediaRejected
    from vforensics.local.files import LocalFileError, read_local_file
    from vforensics.media.image import Media
    from vforensics.report import maps
    from vforensics.report.comparison import compare as compare_media

    loaded = []
    for path in (args.a, args.b):
        try:
            loaded.append(Media.from_bytes(read_local_file(path), path.name))
        except LocalFileError as exc:
            print(f"vforensics: {safe_text(str(exc))}", file=sys.stderr)
            return 1
        except MediaRejected as rejected:
            error = {"error": {"code": rejected.code, "message": rejected.message, "file": str(path)}}
            print(safe_json_text(json.dumps(error, ensure_ascii=False)))
            return 1
    result = compare_media(*loaded)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        h, w = result.difference.shape
        (args.out / "ssim_difference.png").write_bytes(maps.gray_png(result.difference, w, h))
        (args.out / "ssim_heatmap.png").write_bytes(maps.heatmap_png(result.difference, result.preview))
        result.report["files_written"] = ["ssim_difference.png", "ssim_heatmap.png"]
    print(safe_json_text(json.dumps(result.report, indent=2, ensure_ascii=False)))
    return 0


def serve(args: argparse.Namespace) -> int:
    import logging
    import threading

    from vforensics.local.engine import LocalEngine
    from vforensics.local.server import ApiServer

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"vforensics: warning: serving on {safe_text(args.host)} WITHOUT authentication: anyone who can reach it "
            "reads every report. On AWS the API needs IAM or a JWT.",
            file=sys.stderr,
        )
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    with LocalEngine(quiet=not args.verbose) as engine, ApiServer(engine, args.host, args.port) as server:
        print(f"Visual Forensics API on {server.url} (docs: {server.url}/docs; Ctrl-C stops it)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0


def describe(outcome) -> str:
    """The lines printed for one file; every piece that came from the file is made terminal-safe."""
    return safe_text(_describe(outcome), keep_newlines=True)


def _describe(outcome) -> str:
    name = safe_text(outcome.path.name)
    if outcome.status == "UNREADABLE":
        return f"{name}: ERROR {safe_text(outcome.reason or '')}"
    if outcome.status == "FAILED":
        return f"{name}: NOT ANALYSED ({outcome.error_type}) {safe_text(outcome.reason or '')}"
    if outcome.status == "DUPLICATE":
        return f"{name}: already analysed (same upload)"
    overall = outcome.report["overall"]
    summary = outcome.report["summary"]
    likelihood = overall["tampering_likelihood"]
    lines = [
        f"{name}: {overall['verdict']} - risk {overall['risk']}, tampering "
        f"{'n/a' if likelihood is None else f'{likelihood:.0f}/100'}, confidence {overall['confidence']} "
        f"({outcome.seconds:.1f} s) -> {outcome.out_dir}{os.sep}report.json"
    ]
    if overall.get("ai_likelihood") is not None:
        likelihood_ai = f"{overall['ai_likelihood']:.0f}/100"
        lines.append(f"    AI: {overall['ai_verdict']} ({likelihood_ai}, confidence {overall['ai_confidence']})")
    lines += [f"    ! {safe_text(issue)}" for issue in summary["issues_found"][:4]]
    lines += [f"    x {safe_text(err)}" for err in summary["errors"]]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
