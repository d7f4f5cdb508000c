"""``vforensics eval``: run the pipeline on labelled cases and score it.

For each case the real pipeline (state machine on the embedded engine, our handlers) writes
``OUTPUTS/<case id>/`` (report.json, maps/); existing outputs are reused unless told
otherwise, so a second evaluation of the same cases only recomputes metrics. Peers (e.g.
pyIFD, tools/peers) are read from their own output folders and scored the same way.

Reported, per dataset and per manipulation class against the *same dataset's* untouched
images: image-level ROC AUC of ``overall.tampering_likelihood`` and of each analyzer's
score; the share of untouched images rated MEDIUM or HIGH risk; pixel-level F1 and MCC of
each map and of the combined map, at the fixed threshold 128 (0.5) and at each image's best
threshold, averaged over the cases that have a mask; metadata flag recall on cases that
expect a flag and its rate on untouched images.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

import cv2
import numpy as np

from vforensics.evaluation.cases import AI_GENERATED, ORIGINAL, REAL, Case
from vforensics.evaluation.metrics import pixel_scores, roc_auc

COMBINED = "combined"
ALL_PIXELS = "(all pixels)"  # baseline: a map that marks the whole image
FIXED_THRESHOLD = 128
FACT_FLAGS = {"gps_present", "c2pa_manifest"}  # true statements about a file, never false alarms


@dataclass
class CaseResult:
    case: Case
    status: str  # COMPLETED or the failure
    overall: float | None = None
    risk: str | None = None
    ai: float | None = None  # overall.ai_likelihood
    scores: dict[str, float | None] = field(default_factory=dict)  # analyzer (or peer method) -> score
    maps: dict[str, Path] = field(default_factory=dict)  # name -> 8-bit map file
    flags: tuple[str, ...] = ()
    seconds: float | None = None


def run_pipeline(cases: list[Case], outputs: Path, jobs: int = 2, rerun: bool = False, progress=print) -> None:
    """Analyse every case without a report in ``outputs`` through the local pipeline."""
    from vforensics.local.engine import LocalEngine
    from vforensics.local.runner import analyze_one

    todo = [c for c in cases if rerun or not (outputs / c.case_id / "report.json").is_file()]
    if not todo:
        return
    started, done = time.perf_counter(), 0
    with LocalEngine() as engine:

        def one(case: Case) -> None:
            nonlocal done
            outcome = analyze_one(engine, case.path, outputs / case.case_id, key=f"eval/{case.case_id}")
            (outputs / case.case_id / "outcome.json").write_text(
                json.dumps({"status": outcome.status, "seconds": outcome.seconds, "reason": outcome.reason})
            )
            done += 1
            if done % 10 == 0 or done == len(todo):
                progress(f"  {done}/{len(todo)} analysed ({time.perf_counter() - started:.0f} s)")

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(one, todo))


def collect(cases: list[Case], outputs: Path, rescore: bool = False) -> list[CaseResult]:
    """Results from the pipeline's outputs; with ``rescore``, the overall score and the
    combined map (``maps/combined.png``, rewritten) are recomputed from the stored analyzer
    results and maps by the current ``scoring`` code (for tuning it without re-running the
    analyzers)."""
    from vforensics.scoring.tampering import assess

    results = []
    for case in cases:
        folder = outputs / case.case_id
        report_file = folder / "report.json"
        outcome = _read_json(folder / "outcome.json") or {}
        if not report_file.is_file():
            results.append(CaseResult(case, outcome.get("status", "MISSING")))
            continue
        report = json.loads(report_file.read_text())
        maps = {name: folder / entry["map"] for name, entry in report["analyzers"].items() if entry.get("map")}
        for entry in report["analyzers"].values():
            maps |= {extra: folder / view["map"] for extra, view in entry.get("extra_maps", {}).items()}
        if report.get("combined", {}).get("map"):
            maps[COMBINED] = folder / report["combined"]["map"]
        meta = report["analyzers"].get("metadata", {})
        overall = report["overall"]
        if rescore:
            again = assess(report["analyzers"], report["source"])
            overall = {"tampering_likelihood": again.tampering_likelihood, "risk": again.risk}
            if _recombine(folder, report):
                maps[COMBINED] = folder / "maps" / "combined.png"
        results.append(
            CaseResult(
                case,
                "COMPLETED",
                overall=overall["tampering_likelihood"],
                risk=overall["risk"],
                ai=report["overall"].get("ai_likelihood"),
                scores={n: e.get("score") for n, e in report["analyzers"].items()},
                maps=maps,
                flags=tuple(meta.get("details", {}).get("flags", [])),
                seconds=outcome.get("seconds"),
            )
        )
    return results


def _recombine(folder: Path, report: dict) -> bool:
    """Rewrite ``folder/maps/combined.png`` from the stored analyzer maps with the current
    weights, as the aggregate step would; False when there is nothing to combine."""
    from vforensics.report import maps as mapping

    loaded = {}
    for name, entry in report["analyzers"].items():
        if entry.get("status") == "ok" and entry.get("map") and (folder / entry["map"]).is_file():
            loaded[name] = mapping.decode_png_map((folder / entry["map"]).read_bytes())
    source = report["source"]
    combined = mapping.combine_weighted(loaded, source["width"], source["height"])
    if combined is None:
        return False
    (folder / "maps").mkdir(exist_ok=True)
    (folder / "maps" / "combined.png").write_bytes(mapping.gray_png(combined, source["width"], source["height"]))
    return True


def collect_peer(cases: list[Case], peer_dir: Path, prefix: str) -> list[CaseResult]:
    """A peer's outputs: ``<peer_dir>/<case id>/scores.json`` and ``<METHOD>.png`` maps."""
    results = []
    for case in cases:
        folder = peer_dir / case.case_id
        scores = _read_json(folder / "scores.json")
        if scores is None:
            results.append(CaseResult(case, "MISSING"))
            continue
        results.append(
            CaseResult(
                case,
                "COMPLETED",
                scores={
                    f"{prefix}{m}": (s.get("score") if s.get("status") == "ok" else None) for m, s in scores.items()
                },
                maps={f"{prefix}{m}": folder / f"{m}.png" for m in scores if (folder / f"{m}.png").is_file()},
                seconds=sum(s.get("seconds") or 0 for s in scores.values()),
            )
        )
    return results


def merge(ours: list[CaseResult], *peers: list[CaseResult]) -> list[CaseResult]:
    """Add the peers' scores and maps to our results, case by case."""
    by_id = {r.case.case_id: r for r in ours}
    for peer in peers:
        for r in peer:
            if r.case.case_id in by_id and r.status == "COMPLETED":
                by_id[r.case.case_id].scores.update(r.scores)
                by_id[r.case.case_id].maps.update(r.maps)
    return ours


def score(results: list[CaseResult]) -> dict[str, Any]:
    """All metrics, as a JSON-ready dict."""
    out: dict[str, Any] = {"datasets": {}, "failures": []}
    for r in results:
        if r.status != "COMPLETED":
            out["failures"].append({"case": r.case.case_id, "status": r.status})
    by_dataset: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        if r.status == "COMPLETED":
            by_dataset[r.case.dataset].append(r)
    for dataset, rs in sorted(by_dataset.items()):
        out["datasets"][dataset] = _score_dataset(rs)
    return out


def _score_dataset(rs: list[CaseResult]) -> dict[str, Any]:
    originals = [r for r in rs if r.case.label == ORIGINAL]
    methods = sorted({m for r in rs for m in r.scores})
    classes = sorted({r.case.label for r in rs} - {ORIGINAL, REAL, AI_GENERATED})
    d: dict[str, Any] = {
        "cases": {label: sum(1 for r in rs if r.case.label == label) for label in sorted({r.case.label for r in rs})},
        "originals_flagged": _flag_rate(originals),
        "median_seconds": _median([r.seconds for r in rs if r.seconds is not None]),
        "classes": {},
    }
    for label in classes:
        positives = [r for r in rs if r.case.label == label]
        entry: dict[str, Any] = {"n": len(positives), "auc": {}, "pixel": {}}
        entry["auc"]["overall"] = _auc(positives, originals, lambda r: r.overall)
        for m in methods:
            entry["auc"][m] = _auc(positives, originals, lambda r, m=m: r.scores.get(m))
        with_mask = [r for r in positives if r.case.mask_path]
        if with_mask:
            names = sorted({n for r in with_mask for n in r.maps})
            entry["pixel"] = {n: _pixel(with_mask, n) for n in names}
            entry["pixel"][ALL_PIXELS] = _all_pixels_baseline(with_mask)
        d["classes"][label] = entry
    ai_cases = [r for r in rs if r.case.label == AI_GENERATED]
    if ai_cases:
        negatives = [r for r in rs if r.case.label in (REAL, ORIGINAL)]
        d["ai"] = _auc(ai_cases, negatives, lambda r: r.ai) or {
            "auc": None,
            "n_pos": len(ai_cases),
            "n_neg": len(negatives),
            "note": "no ai_likelihood in the reports: the AI detector did not run (no model or onnxruntime)",
        }
    flag_cases = [r for r in rs if r.case.expected_flags]
    if flag_cases:
        d["flags"] = _flag_metrics(flag_cases, originals)
    return d


def _auc(positives: list[CaseResult], negatives: list[CaseResult], get) -> dict[str, Any] | None:
    pos = [v for v in map(get, positives) if v is not None]
    neg = [v for v in map(get, negatives) if v is not None]
    value = roc_auc(pos, neg)
    if value is None:
        return None
    return {"auc": round(value, 4), "n_pos": len(pos), "n_neg": len(neg), "scores_pos": pos, "scores_neg": neg}


def _pixel(cases: list[CaseResult], name: str) -> dict[str, Any]:
    per_case = []
    for r in cases:
        if name not in r.maps:
            continue
        suspicion = cv2.imread(str(r.maps[name]), cv2.IMREAD_GRAYSCALE)
        mask = cv2.imread(str(r.case.mask_path), cv2.IMREAD_GRAYSCALE)
        if suspicion is None or mask is None:
            continue
        if suspicion.shape != mask.shape:
            suspicion = cv2.resize(suspicion, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_LINEAR)
        per_case.append(pixel_scores(suspicion, mask > 127, FIXED_THRESHOLD))
    if not per_case:
        return {"n": 0}
    return {
        "n": len(per_case),
        "coverage": round(len(per_case) / len(cases), 3),
        "f1_fixed": round(mean(s.f1_fixed for s in per_case), 4),
        "mcc_fixed": round(mean(s.mcc_fixed for s in per_case), 4),
        "f1_best": round(mean(s.f1_best for s in per_case), 4),
        "mcc_best": round(mean(s.mcc_best for s in per_case), 4),
    }


def _all_pixels_baseline(cases: list[CaseResult]) -> dict[str, Any]:
    """F1 of marking every pixel: 2p / (1 + p) for a mask covering a share p of the image."""
    shares = []
    for r in cases:
        mask = cv2.imread(str(r.case.mask_path), cv2.IMREAD_GRAYSCALE)
        if mask is not None:
            shares.append(float((mask > 127).mean()))
    f1 = mean(2 * p / (1 + p) for p in shares) if shares else None
    return {
        "n": len(shares),
        "f1_fixed": round(f1, 4) if f1 is not None else None,
        "f1_best": round(f1, 4) if f1 is not None else None,
        "mcc_fixed": 0.0,
        "mcc_best": 0.0,
    }


def _flag_rate(originals: list[CaseResult]) -> dict[str, Any]:
    rated = [r for r in originals if r.risk is not None]
    flagged = [r for r in rated if r.risk in ("MEDIUM", "HIGH")]
    return {
        "n": len(rated),
        "medium_or_high": len(flagged),
        "share": round(len(flagged) / len(rated), 4) if rated else None,
    }


def _flag_metrics(flag_cases: list[CaseResult], originals: list[CaseResult]) -> dict[str, Any]:
    out = {}
    for flag in sorted({f for r in flag_cases for f in r.case.expected_flags}):
        expecting = [r for r in flag_cases if flag in r.case.expected_flags]
        hits = sum(1 for r in expecting if flag in r.flags)
        false = 0 if flag in FACT_FLAGS else sum(1 for r in originals if flag in r.flags)
        out[flag] = {
            "recall": round(hits / len(expecting), 4),
            "n_cases": len(expecting),
            "precision": round(hits / (hits + false), 4) if hits + false else None,
            "on_originals": round(false / len(originals), 4) if originals else None,
        }
    return out


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 3) if values else None


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    import argparse

    from vforensics.evaluation.cases import prepare_ai, prepare_published, read_cases
    from vforensics.evaluation.present import plot, render_text

    parser = argparse.ArgumentParser(prog="vforensics eval", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "cases", type=Path, nargs="?", help="a cases.csv, a folder holding one, or a published dataset folder"
    )
    parser.add_argument("--out", type=Path, default=Path("eval-out"), help="results folder (default: %(default)s)")
    parser.add_argument("--outputs", type=Path, help="pipeline outputs folder (default: OUT/outputs)")
    parser.add_argument("--jobs", type=int, default=2, help="cases analysed at once (default: %(default)s)")
    parser.add_argument("--rerun", action="store_true", help="analyse again even where outputs exist")
    parser.add_argument("--no-run", action="store_true", help="only read existing outputs")
    parser.add_argument(
        "--ai",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="with --real: evaluate AI-generated (DIR) vs real images instead of CASES",
    )
    parser.add_argument(
        "--real", action="append", default=[], type=Path, metavar="DIR", help="real images for --ai (repeatable)"
    )
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="recompute the overall score and the combined map from stored analyzer results with the current scoring",
    )
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a peer's outputs to score beside ours, e.g. pyifd=peers/pyifd (repeatable)",
    )
    args = parser.parse_args(argv)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.ai or args.real:
        if not (args.ai and args.real) or args.cases:
            parser.error("--ai and --real go together, without CASES")
        csv_path = prepare_ai(args.ai, args.real, out)
    elif args.cases is None:
        parser.error("CASES is required (or --ai with --real)")
    else:
        source = args.cases
        if source.is_dir() and (source / "cases.csv").is_file():
            source = source / "cases.csv"
        csv_path = source if source.suffix == ".csv" else prepare_published(source, out)
    cases = read_cases(csv_path)
    outputs = args.outputs or out / "outputs"
    print(f"{len(cases)} cases from {csv_path}")
    if not args.no_run:
        run_pipeline(cases, outputs, jobs=args.jobs, rerun=args.rerun)
    results_list = collect(cases, outputs, rescore=args.rescore)
    peers = []
    for spec in args.peer:
        name, _, folder = spec.partition("=")
        peers.append(collect_peer(cases, Path(folder), prefix=f"{name}:"))
    results = score(merge(results_list, *peers))
    results["cases_csv"] = str(csv_path)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    text = render_text(results)
    (out / "results.txt").write_text(text + "\n")
    print(text)
    for path in plot(results, out / "plots"):
        print("plot:", path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
