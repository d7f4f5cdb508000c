"""Issue 20 (deliverable 4): how often the metadata flag ``ai_generator_tag`` fires on gathered
AI images as they were published, whether it names the right generator family, and how often it
fires on real photos.

Runs the metadata analyzer (the pure-Python path; ExifTool is turned off, the flags never depend
on it) on every file of a gathered folder's MANIFEST.csv and, with ``--bench``, on the AI and real
folders of ../shared/bench (``ai/sd15-grids``, ``ai/ml72``; ``camera``, ``real-web``). The files
are read as gathered, byte for byte: this measures metadata provenance *before* any normalisation
(re-encoding strips it). Per family it prints the files, how many are tagged (recall for AI, false
tags for real), how many tags name the expected generator family (``details.ai_generator.family``
or, for code older than that field, the flag's sentence) and which source the tags came from.

The gathered folder is the OUT of the gather command in ../shared/bench/README.md:

    # snapshots or clones of the repositories SOURCES.csv names, in ROOT/OWNER+NAME
    python3 ../shared/bench/ai/gather_sources.py OUT --mirror ROOT

Run from the repository root (one process, 1-1.5 minutes for the 874 files on one core):

    PYTHONPATH=layers/vforensics:. .venv/bin/python studies/ai_provenance_recall.py OUT \\
        [--bench ../shared/bench] [--list per_file.csv]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("VF_EXIFTOOL", "off")

from vforensics.analyzers.metadata import _analyzer as metadata  # noqa: E402
from vforensics.media.image import Media  # noqa: E402

#: The generator family a correct tag names, by the family column of MANIFEST.csv (or bench folder).
EXPECTED_FAMILY = {
    "gpt-4o": "GPT-4o",
    "flux.1": "Flux.1",
    "sd3": "SD3",
    "sdxl": "SDXL",
    "stable-cascade": "Stable Cascade",
    "sd1.5": "SD 1.x",
    "sd2.x": "SD 2.x",
    "bench ai/sd15-grids": "SD 1.x",
}
BENCH_FOLDERS = (("ai/sd15-grids", "ai"), ("ai/ml72", "ai"), ("camera", "real"), ("real-web", "real"))
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"}


def cases(gathered: Path, bench: Path | None) -> list[tuple[str, str, Path]]:
    """(family, label, path) of every file to measure."""
    with (gathered / "MANIFEST.csv").open(newline="") as f:
        out = [(row["family"], row["label"], gathered / row["file"]) for row in csv.DictReader(f)]
    for folder, label in BENCH_FOLDERS if bench else ():
        assert bench is not None
        for path in sorted((bench / folder).glob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                out.append((f"bench {folder}", label, path))
    return out


def measure(path: Path) -> dict[str, Any]:
    """The tag, its sentence and its generator record for one file."""
    try:
        details = metadata.analyze(Media.from_bytes(path.read_bytes(), path.name)).details
    except Exception as exc:  # a file the pipeline refuses is reported, not fatal
        return {"tagged": False, "error": type(exc).__name__}
    evidence = details["flag_evidence"].get("ai_generator_tag")
    record = details.get("ai_generator") or {}
    return {"tagged": evidence is not None, "evidence": evidence or "", "record": record}


def names_family(result: dict[str, Any], expected: str | None) -> bool:
    """Whether a tag names the expected family (the record's family, else the sentence)."""
    if not (result["tagged"] and expected):
        return False
    family = str(result["record"].get("family") or "")
    if family:
        return family.lower().startswith(expected.lower())
    return expected.lower() in result["evidence"].lower()


def table(rows: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """The printed table: one line per family, AI first, then totals."""
    by_family: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for family, label, result in rows:
        by_family[(label, family)].append(result)
    lines = [f"{'label':5} {'family':22} {'files':>5} {'tagged':>6} {'share':>6} {'named':>6}  sources"]
    for (label, family), results in sorted(by_family.items()):
        tagged = sum(r["tagged"] for r in results)
        named = sum(names_family(r, EXPECTED_FAMILY.get(family)) for r in results)
        sources = Counter(str(r["record"].get("source") or "-") for r in results if r["tagged"])
        named_text = f"{named:>6}" if family in EXPECTED_FAMILY else f"{'n/a':>6}"
        lines.append(
            f"{label:5} {family:22} {len(results):>5} {tagged:>6} {tagged / len(results):>6.0%} {named_text}  "
            + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        )
    for label in ("ai", "real"):
        results = [r for (lab, _), rs in by_family.items() if lab == label for r in rs]
        if results:
            tagged = sum(r["tagged"] for r in results)
            lines.append(f"{label:5} {'all':22} {len(results):>5} {tagged:>6} {tagged / len(results):>6.0%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gathered", type=Path, help="folder written by gather_sources.py (with MANIFEST.csv)")
    parser.add_argument("--bench", type=Path, help="../shared/bench: adds its AI and real folders")
    parser.add_argument("--list", type=Path, help="write one CSV row per file here")
    args = parser.parse_args(argv)
    if not (args.gathered / "MANIFEST.csv").is_file():
        parser.error(f"{args.gathered}/MANIFEST.csv not found: gather the files first (see the docstring)")
    rows = [(family, label, measure(path)) for family, label, path in cases(args.gathered, args.bench)]
    print("\n".join(table(rows)))
    false_tags = [(f, r) for f, label, r in rows if label == "real" and r["tagged"]]
    for family, result in false_tags[:20]:
        print(f"false tag ({family}): {ascii(result['evidence'][:200])}")
    errors = Counter(r["error"] for _, _, r in rows if "error" in r)
    if errors:
        print("not analysed:", dict(errors))
    if args.list:
        with args.list.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["family", "label", "file", "tagged", "family_named", "source", "generator", "evidence"])
            for (family, label, path), (_, _, r) in zip(cases(args.gathered, args.bench), rows, strict=True):
                writer.writerow(
                    [
                        family,
                        label,
                        path.name,
                        int(r["tagged"]),
                        int(names_family(r, EXPECTED_FAMILY.get(family))),
                        r.get("record", {}).get("source", ""),
                        ascii(str(r.get("record", {}).get("generator", "")))[1:-1],
                        ascii(r.get("evidence", ""))[1:-1],
                    ]
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
