"""Metadata flags and C2PA validation measured on shared/bench, written as a Markdown section.

1. Rate of every flag on all untouched camera originals of shared/bench/camera.
2. Recall of each flag on the synthetic cases that expect it (``vforensics synth``:
   exif_stripped, editor_software(_in_place), date_modified(_in_place), thumbnail_kept,
   generator_tag).
   Derived here from the first N originals: an XMP edit history added (as Lightroom and
   Photoshop write it), a GPS position added, a C2PA manifest signed (c2pa_manifest).
3. C2PA: those signed copies altered two ways after signing (a pixel byte, a byte of the
   manifest); the validation state of each.
4. Time of the metadata analyzer per file (one process, this machine; the 12 MP figure is
   in the perf section).

Runs the analyzer in-process (the same function the pipeline's metadata Lambda calls), on
the pure-Python path (ExifTool off). Usage:
    .venv/bin/python -m vforensics.evaluation.benchmarks.metadata [--synth bench-out/synth] [--write FILE.md]
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from vforensics.analyzers import metadata
from vforensics.analyzers.base import AnalyzerResult
from vforensics.evaluation.benchmarks._section import Context, section_main
from vforensics.evaluation.c2pa_assets import sign_jpeg
from vforensics.media.image import Media

NAME = "metadata"
ISOLATED = True  # turns ExifTool off (VF_EXIFTOOL) for its own process

C2PA_SOURCES = 10


def analyze(data: bytes, name: str) -> tuple[AnalyzerResult, float]:
    started = time.perf_counter()
    result = metadata.analyze(Media.from_bytes(data, name))
    return result, time.perf_counter() - started


def add_arguments(parser) -> None:
    parser.add_argument("--synth", type=Path, help="the synthetic cases (default: WORK/synth)")


def run(context: Context, synth: Path | None = None) -> dict:
    """Flag rates on the camera originals, recall on the cases that expect them, C2PA states, times."""
    os.environ["VF_EXIFTOOL"] = "off"  # read when the analyzer runs: the pure-Python path
    synth = synth or context.work / "synth"
    originals = sorted(p for p in (context.bench / "camera").iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    on_originals: Counter[str] = Counter()
    seconds: list[float] = []
    flagged_examples: dict[str, list[str]] = {}
    for path in originals:
        result, took = analyze(path.read_bytes(), path.name)
        seconds.append(took)
        for flag in result.details["flags"]:
            on_originals[flag] += 1
            evidence = result.details["flag_evidence"][flag]
            flagged_examples.setdefault(flag, []).append(f"{path.name} ({evidence})")

    expected: dict[str, list[bool]] = {}
    with (synth / "cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["expected_flags"]]
    misses: dict[str, list[str]] = {}
    for row in rows:
        result, _ = analyze((synth / row["file"]).read_bytes(), Path(row["file"]).name)
        for flag in row["expected_flags"].split(";"):
            hit = flag in result.details["flags"]
            expected.setdefault(flag, []).append(hit)
            if not hit:
                misses.setdefault(flag, []).append(f"{row['class']}/{Path(row['file']).name}")

    for flag, data, name in derived_cases(originals[:C2PA_SOURCES]):
        result, _ = analyze(data, name)
        hit = flag in result.details["flags"]
        expected.setdefault(flag, []).append(hit)
        if not hit:
            misses.setdefault(flag, []).append(f"derived/{name}")
    return {
        "originals": len(originals),
        "on_originals": dict(on_originals),
        "examples": flagged_examples,
        "expected": expected,
        "misses": misses,
        "c2pa": [[label, dict(states)] for label, states in c2pa_states(originals[:C2PA_SOURCES])],
        "seconds": seconds,
        "c2pa_version": _c2pa_version(),
        "cores": os.cpu_count(),
    }


def to_markdown(results: dict) -> str:
    r = results
    lines = section(
        r["originals"], r["on_originals"], r["examples"], r["expected"], r["misses"], r["c2pa"], r["seconds"],
        r["c2pa_version"], r["cores"],
    )  # fmt: skip
    return "\n".join(lines) + "\n"


_XMP_HISTORY = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" '
    'xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"><xmpMM:History><rdf:Seq>'
    '<rdf:li stEvt:action="derived" stEvt:parameters="converted from image/x-nikon-nef to image/jpeg"/>'
    '<rdf:li stEvt:action="saved" stEvt:when="2024-05-01T10:00:00" stEvt:changed="/"/>'
    "</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def derived_cases(paths: list[Path]):
    """(expected flag, bytes, name): XMP history added, GPS added, C2PA-signed, per source; and
    turned by 90 degrees with the camera's EXIF block kept byte for byte (its thumbnail too), as
    a viewer's "rotate and save" does, for each source with an EXIF thumbnail and an upright
    Orientation (1 or none)."""
    from PIL import ExifTags, Image

    for path in paths:
        with Image.open(path) as img:
            img.load()
            exif, rgb = img.getexif(), img.convert("RGB")
            raw_exif = img.info.get("exif")
        if raw_exif and exif.get(0x0112) in (None, 1) and exif.get_ifd(ExifTags.IFD.IFD1).get(0x0201):
            buffer = io.BytesIO()
            rgb.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=92, exif=raw_exif)
            yield "rotated_after_capture", buffer.getvalue(), path.name
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=92, exif=exif.tobytes(), xmp=_XMP_HISTORY.encode())
        yield "xmp_edit_history", buffer.getvalue(), path.name
        gps = exif.get_ifd(0x8825)
        gps.update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
        yield "gps_present", buffer.getvalue(), path.name
        yield "c2pa_manifest", sign_jpeg(_plain_jpeg(path.read_bytes())), path.name


def c2pa_states(paths: list[Path]) -> list[tuple[str, Counter]]:
    """Validation states of signed copies, and of copies altered after signing."""
    states: dict[str, Counter[str]] = {
        "signed": Counter(),
        "pixel byte changed": Counter(),
        "manifest byte changed": Counter(),
    }
    for path in paths:
        signed = sign_jpeg(_plain_jpeg(path.read_bytes()), generator="Newsroom Capture 1.0")
        pixel = bytearray(signed)
        pixel[-300] ^= 0x5A
        manifest = bytearray(signed)
        at = signed.find(b"Newsroom Capture")
        manifest[at] = ord("X")
        for label, data in (("signed", signed), ("pixel byte changed", pixel), ("manifest byte changed", manifest)):
            result, _ = analyze(bytes(data), path.name)
            c2pa = result.details["c2pa"]
            states[label][c2pa.get("state", "absent")] += 1
    return list(states.items())


def _plain_jpeg(data: bytes) -> bytes:
    """The photo re-encoded as a plain baseline JPEG (c2pa signs any JPEG; this keeps the files small)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def section(
    n_originals, on_originals, examples, expected, misses, c2pa_rows, seconds, c2pa_version, cores
) -> list[str]:
    lines = [
        "## Metadata flags and C2PA (`python -m vforensics.evaluation.benchmarks.metadata`)",
        "",
        f"The metadata analyzer in-process on the pure-Python path (ExifTool off), {n_originals} camera originals",
        "of shared/bench/camera and the synthetic metadata cases of `vforensics synth ... --seed 0`.",
        "",
        "`gps_present` describes the file (the originals it fires on do carry a position); every other rate",
        "on originals is a false alarm unless the file was in fact re-saved or its metadata rewritten (the",
        "names are listed below with the flag's own evidence, so a reader can judge each one).",
        "",
        "| flag | recall on its cases | cases | rate on camera originals |",
        "|---|---|---|---|",
    ]
    for flag in metadata.CHECKS_RUN:
        hits = expected.get(flag, [])
        recall = f"{sum(hits) / len(hits):.2f}" if hits else "n/a"
        rate = on_originals.get(flag, 0)
        lines.append(
            f"| {flag} | {recall} | {len(hits) or ''} | {rate}/{n_originals} ({100 * rate / n_originals:.1f}%) |"
        )
    lines.append("")
    for flag, names in sorted(examples.items()):
        if flag in ("gps_present",):
            continue
        lines.append(f"- {flag} on originals:")
        lines += [f"  - {name}" for name in names[:8]] + (["  - ..."] if len(names) > 8 else [])
    for flag, names in sorted(misses.items()):
        lines.append(f"- {flag} missed: {', '.join(names[:8])}{' ...' if len(names) > 8 else ''}")
    lines += [
        "",
        f"C2PA: the first {C2PA_SOURCES} originals signed by c2pa-python {c2pa_version} with throwaway test",
        "certificates (not on any trust list, hence `Valid` rather than `Trusted`), then altered after signing:",
        "",
        "| file | validation states |",
        "|---|---|",
    ]
    for label, states in c2pa_rows:
        lines.append(f"| {label} | {', '.join(f'{s}: {n}' for s, n in sorted(states.items()))} |")
    ms = sorted(1000 * s for s in seconds)
    lines += [
        "",
        f"Time per camera original (0.1-12 MP, one process, {cores} cores on the machine): median "
        f"{statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms.",
        "",
    ]
    return lines


def _c2pa_version() -> str:
    from importlib.metadata import version

    return version("c2pa-python")


if __name__ == "__main__":
    sys.exit(section_main(sys.modules[__name__]))
