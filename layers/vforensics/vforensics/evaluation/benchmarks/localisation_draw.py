"""Splice and inpainting localisation on a second, larger draw of synthetic forgeries.

The main synthetic benchmark (``vforensics synth``, seed 0) holds 44 splices and 43
inpaintings of camera photos up to 4 MP; a mean pixel F1 over 44 images moves by about 0.04
from one draw to the next. This script draws again (seed 2) from *every* camera photo of
shared/bench/camera with a short side of at least 512 px and at most 20 MP (81 sources, so
today's 12 MP phone photos count too), runs the localising analyzers on each case -- the same
``analyze`` functions the Lambdas call -- and combines their maps with
``maps.combine_weighted`` as the aggregate step does. No choice of method or constant was made
on this draw: it is there to check the main table's splice and inpainting figures.

It reports the mean pixel F1 at each image's best threshold (a missing map counts 0) with its
standard error, per class and map.

    .venv/bin/python -m vforensics.evaluation.benchmarks.localisation_draw [--camera DIR] [--draw DIR] [--jobs 2]
        [--write OUT.md]

(``--draw``: the draw's folder, default ``bench-out/synth-seed2``, i.e. ``WORK/synth-seed2``.)
"""

from __future__ import annotations

import csv
import importlib
import sys
from multiprocessing import Pool
from pathlib import Path
from statistics import mean, stdev

import cv2
import numpy as np

from vforensics.evaluation.benchmarks._section import Context, section_main
from vforensics.evaluation.metrics import pixel_scores
from vforensics.evaluation.synth import synthesize
from vforensics.media.image import Media
from vforensics.report import maps

NAME = "localisation-draw"
ISOLATED = True  # a pool of analyzer processes
SEED = 2
MAX_MEGAPIXELS = 20.0
CLASSES = ("splice", "inpaint")
ANALYZERS = ("noise", "jpeg", "ela", "cfa")  # every analyzer with a weight in the combined map
COLUMNS = ("noise_level", "noise_cooccurrence", "noise", "jpeg", "jpeg_ghost", "ela", "cfa", "combined")


def ensure_cases(camera: Path, work: Path) -> Path:
    """The draw's cases.csv, synthesised on first use."""
    csv_path = work / "cases.csv"
    if not csv_path.is_file():
        synthesize(camera, work, seed=SEED, max_megapixels=MAX_MEGAPIXELS, classes=CLASSES)
    return csv_path


def score_case(job: tuple[str, str, str]) -> tuple[str, dict[str, float]]:
    """(class, {map: f1_best}) for one case: image path, mask path, class."""
    cv2.setNumThreads(1)
    image, mask_path, cls = job
    media = Media.from_bytes(Path(image).read_bytes())
    gray = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
    assert gray is not None, mask_path
    mask: np.ndarray = gray > 127
    height, width = mask.shape
    main, every = {}, {}
    for name in ANALYZERS:
        result = importlib.import_module(f"vforensics.analyzers.{name}").analyze(media)
        if result.status == "ok" and result.map is not None:
            main[name] = every[name] = result.map
            every |= result.extra_maps
    combined = maps.combine_weighted(main, width, height)
    if combined is not None:
        every["combined"] = combined
    scores = {}
    for name in COLUMNS:
        if name not in every:
            scores[name] = 0.0
            continue
        suspicion = cv2.resize(every[name].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        scores[name] = pixel_scores(cv2.convertScaleAbs(np.clip(suspicion, 0, 1), alpha=255.0), mask).f1_best
    return cls, scores


def draw_scores(csv_path: Path, jobs: int = 2) -> list[tuple[str, dict[str, float]]]:
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["class"] in CLASSES]
    todo = [(str(csv_path.parent / r["file"]), str(csv_path.parent / r["mask"]), r["class"]) for r in rows]
    if jobs <= 1:
        return [score_case(job) for job in todo]
    with Pool(jobs) as pool:
        return pool.map(score_case, todo, chunksize=1)


def table(scores: list[tuple[str, dict[str, float]]], sources: int) -> str:
    lines = [
        f"### A second draw: seed {SEED}, all {sources} camera photos up to {MAX_MEGAPIXELS:.0f} MP "
        "(`python -m vforensics.evaluation.benchmarks.localisation_draw`)",
        "",
        "Splices and inpaintings drawn again from every eligible camera photo (the main table uses the ones "
        "up to 4 MP), analysed by the localising analyzers and combined with the fitted map weights; nothing "
        "was tuned on this draw. Pixel F1 at each image's best threshold, a missing map counting 0; "
        "`combined` with its standard error:",
        "",
        "| class | n | " + " | ".join(COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for cls in CLASSES:
        group = [s for c, s in scores if c == cls]
        if not group:
            continue
        cells = [f"{mean(s[m] for s in group):.2f}" for m in COLUMNS[:-1]]
        combined = [s["combined"] for s in group]
        error = stdev(combined) / np.sqrt(len(combined)) if len(combined) > 1 else 0.0
        cells.append(f"{mean(combined):.3f} ± {error:.3f}")
        lines.append(f"| {cls} | {len(group)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    parser.add_argument("--camera", type=Path, help="camera originals (default: BENCH/camera)")
    parser.add_argument("--draw", type=Path, help=f"the draw's folder (default: WORK/synth-seed{SEED})")


def run(context: Context, camera: Path | None = None, draw: Path | None = None) -> dict:
    """Each case's class and F1 per map, and the number of sources drawn from."""
    camera = camera or context.bench / "camera"
    draw = draw or context.work / f"synth-seed{SEED}"
    if not camera.is_dir() and not (draw / "cases.csv").is_file():
        raise SystemExit(f"no camera photos at {camera}")
    csv_path = ensure_cases(camera, draw)
    scores = draw_scores(csv_path, context.jobs)
    with csv_path.open(encoding="utf-8", newline="") as fh:
        sources = len({r["source"] for r in csv.DictReader(fh)})
    return {"scores": scores, "sources": sources}


def to_markdown(results: dict) -> str:
    return table(results["scores"], results["sources"])


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
