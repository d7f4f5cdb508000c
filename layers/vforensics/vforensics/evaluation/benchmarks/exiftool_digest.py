"""ExifTool's JPEGDigest as a re-save detector, on the synthetic JPEG cases and the camera originals.

    .venv/bin/python -m vforensics.evaluation.benchmarks.exiftool_digest [--work bench-out]
        [--synth WORK/synth] [--skip-peers] [--json FILE.json]

Needs ``exiftool`` on PATH (``make peers``; Debian ``libimage-exiftool-perl``); without it the
section does nothing. One batched ExifTool call (tools/peers/run_exiftool.py) reads every case
of ``SYNTH/cases.csv`` and one more every camera original of ``shared/bench/camera``.

JPEGDigest is the MD5 of the file's quantization tables (DQT), looked up in a list that ships
with ExifTool (``Image/ExifTool/JPEGDigest.pm``); when the MD5 alone is not in the list, the
frame's subsampling is appended (``md5:221111``) and looked up again. A hit prints the name of
the software or camera that writes those tables, else ``Unknown (md5:subsampling)``. We never
copy that list: this module only reads what ExifTool prints (docs/EXIFTOOL_JPEGDIGEST.md).

The rule, fixed before any result was seen (``rule_score``):

- 1 when the digest names software (the IJG library, Photoshop, QuickTime, GIMP, ..., anything
  that is not one of the cameras of the list), or a camera of another make than the file's
  EXIF Make (``normalize_make`` on both sides);
- 0.5 when the digest is unknown (or ExifTool gives none: no DQT, grayscale, unreadable);
- 0 when it names a camera of the file's EXIF make.

``rule_q`` (continuous): the same three levels, ties inside a level broken by ExifTool's
``JPEGQualityEstimate`` (lower quality = more suspicious): ``0.9 * rule + 0.1 * (100 - Q) / 100``.
``quality`` (reference): ``(100 - Q) / 100`` alone.

ROC AUC of each re-save class against ``original`` on the synthetic cases, pooled and on five
make groups (the source photo's make from camera/MANIFEST.csv; makes sorted by number of
sources, then name, dealt round-robin into the groups), with the mean and the minimum over the
groups. On all camera originals: how often the digest names software (a false alarm of the
rule on an untouched photo), overall and per make.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from vforensics.evaluation.benchmarks._section import REPO, Context, run_command, section_main
from vforensics.evaluation.metrics import roc_auc
from vforensics.media.jpeg_tables import normalize_make

NAME = "exiftool-digest"
ISOLATED = False  # ExifTool runs as a process of its own
RUN_EXIFTOOL = REPO / "tools" / "peers" / "run_exiftool.py"
CLASSES = ("resave", "crop_resave", "resave_same_tables", "resave_foreign_tables")
NEGATIVE = "original"
N_GROUPS = 5
VARIANTS = ("rule", "rule_q", "quality")
NO_MAKE = "(none)"

#: Makes of the cameras in the "Devices" part of ExifTool's list (JPEGDigest.pm 1.06, ExifTool
#: 12.57): a digest name that starts with one of them names a camera, unless it is one of the
#: makers' own programs below. Every other name is software (the list grows with software
#: first: IJG, Photoshop, Lightroom, QuickTime, Paint Shop Pro, ...).
CAMERA_MAKES = ("canon", "htc", "konica minolta", "nikon", "panasonic", "ricoh", "sony")
#: Programs of camera makers whose names start with the make (desktop software, not cameras).
MAKER_SOFTWARE = (
    "canon digital photo professional",
    "canon zoombrowser",
    "nikon capture",
    "pentax photo laboratory",
    "sony image data",
)


def add_arguments(parser) -> None:
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--synth", type=Path, help="the synthetic cases (default: WORK/synth)")


def digest_kind(name: str | None) -> tuple[str, str]:
    """What a printed JPEGDigest names: ("software", ""), ("camera", make) or ("unknown", "")."""
    text = (name or "").strip()
    if not text or text == "-" or text.startswith("Unknown") or text == "No DQT defined":
        return "unknown", ""
    product = text.split(",")[0].strip().lower()
    if product.startswith(MAKER_SOFTWARE):
        return "software", ""
    make = normalize_make(product)
    return ("camera", make) if make in CAMERA_MAKES else ("software", "")


def rule_score(digest: str | None, exif_make: str | None) -> float:
    """The fixed rule: 1 software or another make's camera, 0.5 unknown, 0 a camera of the EXIF make."""
    kind, make = digest_kind(digest)
    if kind == "unknown":
        return 0.5
    if kind == "software":
        return 1.0
    return 0.0 if make == normalize_make(exif_make) else 1.0


def quality_score(quality: Any) -> float:
    """(100 - JPEGQualityEstimate) / 100; 0.5 when ExifTool gives no number."""
    try:
        q = float(quality)
    except (TypeError, ValueError):
        return 0.5
    return min(max((100.0 - q) / 100.0, 0.0), 1.0)


def scores(tags: dict[str, Any]) -> dict[str, Any]:
    """One file's ExifTool tags (run_exiftool.py's output) -> what the rule sees and its scores."""
    digest = tags.get("JPEGDigest")
    kind, make = digest_kind(digest)
    rule = rule_score(digest, tags.get("Make"))
    quality = quality_score(tags.get("JPEGQualityEstimate"))
    return {
        "digest": digest,
        "digest_key": tags.get("JPEGDigest#"),
        "quality_estimate": tags.get("JPEGQualityEstimate"),
        "subsampling": tags.get("YCbCrSubSampling"),
        "exif_make": tags.get("Make"),
        "kind": kind,
        "digest_make": make,
        "error": tags.get("Error"),
        "rule": rule,
        "rule_q": round(0.9 * rule + 0.1 * quality, 6),
        "quality": quality,
    }


def make_groups(makes: list[str], n: int = N_GROUPS) -> dict[str, int]:
    """Make -> group: makes by number of sources (most first), then name, dealt round-robin."""
    counts = Counter(makes)
    ordered = sorted(counts, key=lambda m: (-counts[m], m))
    return {make: i % n for i, make in enumerate(ordered)}


def exiftool_version() -> str | None:
    exe = shutil.which("exiftool")
    if not exe:
        return None
    return subprocess.run([exe, "-ver"], capture_output=True, text=True, check=False).stdout.strip() or None


def run(context: Context, skip_peers: bool = False, synth: Path | None = None) -> dict:
    version = None if skip_peers else exiftool_version()
    if not version:
        return {"exiftool": None}
    synth = synth or context.work / "synth"
    camera = context.bench / "camera"
    out = context.work / "peers"
    seconds = {
        "exiftool-synth": run_command([context.python, RUN_EXIFTOOL, synth / "cases.csv", out / "exiftool-synth.json"]),
        "exiftool-camera": run_command(
            [context.python, RUN_EXIFTOOL, camera / "MANIFEST.csv", out / "exiftool-camera.json"]
        ),
    }
    with (camera / "MANIFEST.csv").open(encoding="utf-8", newline="") as fh:
        manifest = {r["file"]: r for r in csv.DictReader(fh)}
    with (synth / "cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    synth_tags = json.loads((out / "exiftool-synth.json").read_text(encoding="utf-8"))
    camera_tags = json.loads((out / "exiftool-camera.json").read_text(encoding="utf-8"))

    def source_make(source: str) -> str:
        return normalize_make(manifest.get(source, {}).get("make")) or NO_MAKE

    used = [r for r in rows if r["class"] in (NEGATIVE, *CLASSES)]
    groups = make_groups([source_make(s) for s in dict.fromkeys(r["source"] for r in used)])
    cases = {
        r["file"]: {
            "class": r["class"],
            "source": r["source"],
            "source_make": source_make(r["source"]),
            "group": groups.get(source_make(r["source"])),
            "synth_quality": r["quality"],  # the re-save quality the case was made with
        }
        | scores(synth_tags.get(r["file"], {}))
        for r in rows
    }
    camera_cases = {
        f: {"make": normalize_make(m["make"]) or NO_MAKE, "model": m["model"]} | scores(camera_tags.get(f, {}))
        for f, m in manifest.items()
    }
    return {
        "exiftool": version,
        "digest_module": _digest_module_version(),
        "seconds": seconds,
        "synth": str(synth),
        "groups": {str(g): sorted(m for m, gg in groups.items() if gg == g) for g in range(N_GROUPS)},
        "auc": auc_tables(cases),
        "synth_kinds": kind_counts(cases),
        "camera": camera_summary(camera_cases),
        "cases": cases,
        "camera_cases": camera_cases,
    }


def _digest_module_version() -> str | None:
    """$Image::ExifTool::JPEGDigest::VERSION of the installed ExifTool (None if perl cannot load it)."""
    exe = shutil.which("exiftool")
    if not exe:
        return None
    lib = Path(exe).resolve().parent / "lib"  # a tree run as `perl exiftool` keeps its modules beside it
    done = subprocess.run(
        ["perl", f"-I{lib}", "-MImage::ExifTool::JPEGDigest", "-e", "print $Image::ExifTool::JPEGDigest::VERSION"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def auc_tables(cases: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """variant -> class -> pooled AUC, per-group AUC, their mean and min, and the counts."""
    tables: dict[str, dict[str, dict]] = {}
    for variant in VARIANTS:
        tables[variant] = {}
        for cls in CLASSES:
            pos = [c for c in cases.values() if c["class"] == cls]
            neg = [c for c in cases.values() if c["class"] == NEGATIVE]
            per_group = {}
            for g in range(N_GROUPS):
                auc = roc_auc(
                    [c[variant] for c in pos if c["group"] == g], [c[variant] for c in neg if c["group"] == g]
                )
                if auc is not None:
                    per_group[str(g)] = round(auc, 4)
            pooled = roc_auc([c[variant] for c in pos], [c[variant] for c in neg])
            values = list(per_group.values())
            tables[variant][cls] = {
                "pooled": None if pooled is None else round(pooled, 4),
                "groups": per_group,
                "mean": round(sum(values) / len(values), 4) if values else None,
                "min": min(values) if values else None,
                "n_pos": len(pos),
                "n_neg": len(neg),
            }
    return tables


def kind_counts(cases: dict[str, dict]) -> dict[str, dict[str, int]]:
    """class -> how many cases the rule scored 1 (software / foreign camera), 0.5, 0."""
    out: dict[str, dict[str, int]] = {}
    for cls in (NEGATIVE, *CLASSES):
        counts: Counter[str] = Counter(_outcome(c) for c in cases.values() if c["class"] == cls)
        out[cls] = dict(sorted(counts.items()))
    return out


def _outcome(case: dict) -> str:
    if case["kind"] == "camera":
        return "own camera" if case["rule"] == 0 else "other make's camera"
    return case["kind"]


def camera_summary(camera_cases: dict[str, dict]) -> dict[str, Any]:
    """On the untouched camera originals: the rule's outcomes overall and per make, and the names seen."""
    per_make: dict[str, Counter[str]] = {}
    for c in camera_cases.values():
        per_make.setdefault(c["make"], Counter())[_outcome(c)] += 1
    total: Counter[str] = sum(per_make.values(), Counter())
    n = sum(total.values())
    return {
        "n": n,
        "outcomes": dict(sorted(total.items())),
        "software_rate": round(total["software"] / n, 4) if n else None,
        "score1_rate": round((total["software"] + total["other make's camera"]) / n, 4) if n else None,
        "per_make": {m: dict(sorted(per_make[m].items())) for m in sorted(per_make)},
        "names": dict(Counter(_short(c["digest"]) for c in camera_cases.values()).most_common()),
    }


def _short(digest: str | None) -> str:
    """A digest name without the MD5 of an unknown one (which differs per table set)."""
    return "Unknown" if not digest or digest.startswith("Unknown") or digest == "-" else digest


def to_markdown(results: dict) -> str:
    from vforensics.evaluation.present import to_markdown as table

    if not results.get("exiftool"):
        return ""
    auc, cam = results["auc"], results["camera"]
    groups = "; ".join(f"{g}: {', '.join(m)}" for g, m in results["groups"].items())
    out = [
        f"## ExifTool {results['exiftool']} JPEGDigest as a re-save detector (peer)",
        "",
        "Rule (fixed in advance): 1 when the digest names software or a camera of another make than EXIF Make,",
        "0.5 when unknown, 0 when it names a camera of the EXIF make; `rule_q` breaks ties inside each level by",
        "ExifTool's JPEGQualityEstimate (lower = more suspicious); `quality` is that estimate alone. ROC AUC",
        f"against the synthetic `original` cases; make groups (source photo's make): {groups}.",
        "",
    ]
    header = ["class", "n"] + [f"{v} {k}" for v in VARIANTS for k in ("pooled", "group mean", "group min")]
    rows = []
    for cls in CLASSES:
        row = [f"`{cls}`", str(auc["rule"][cls]["n_pos"])]
        for v in VARIANTS:
            row += [_fmt(auc[v][cls][k]) for k in ("pooled", "mean", "min")]
        rows.append(row)
    out += [table(header, rows), ""]
    out += ["ROC AUC per make group:", ""]
    group_ids = list(results["groups"])
    rows = [
        [f"`{cls}`", v] + [_fmt(auc[v][cls]["groups"].get(g)) for g in group_ids] for cls in CLASSES for v in VARIANTS
    ]
    out += [table(["class", "variant"] + [f"group {g}" for g in group_ids], rows), ""]
    kinds = results["synth_kinds"]
    names = sorted({k for counts in kinds.values() for k in counts})
    out += ["What the digest names, per class (cases):", ""]
    out += [table(["class"] + names, [[f"`{c}`"] + [str(kinds[c].get(k, 0)) for k in names] for c in kinds]), ""]
    out += [
        f"On all {cam['n']} camera originals of shared/bench/camera the digest names software for "
        f"{_pct(cam['software_rate'])} (the rule's score is 1 for {_pct(cam['score1_rate'])}); per make:",
        "",
    ]
    outcomes = sorted({k for counts in cam["per_make"].values() for k in counts})
    rows = [[m, str(sum(c.values()))] + [str(c.get(k, 0)) for k in outcomes] for m, c in cam["per_make"].items()]
    out += [table(["make", "n"] + outcomes, rows), ""]
    return "\n".join(out)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
