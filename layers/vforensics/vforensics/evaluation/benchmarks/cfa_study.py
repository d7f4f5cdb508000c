"""Where the cfa analyzer applies, and what its map finds where it does.

Two measurements, printed as Markdown (one section of docs/BENCHMARKS.md):

1. camera originals of ../shared/bench/camera: on how many the demosaicing trace is found,
   by the JPEG quality they were saved at, and the scores of those it applies to (untouched
   photos: any score is a false alarm);
2. a positive control, since the benchmark's JPEGs rarely keep the trace: every 6th
   camera photo is downscaled 2x (which erases its own trace), re-mosaiced on a Bayer (RGGB)
   lattice and demosaiced by OpenCV, and 9% of it replaced by the same scene before
   mosaicing (same content, no trace); saved as PNG and as JPEG 98/95/90/85, the map is
   scored against that region (pixel F1 at 0.5 and at each image's best threshold).

    .venv/bin/python -m vforensics.evaluation.benchmarks.cfa_study [--camera DIR] [--write OUT.md]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from vforensics.analyzers import cfa
from vforensics.evaluation.benchmarks._section import Context, section_main
from vforensics.evaluation.metrics import pixel_scores
from vforensics.media.image import Media
from vforensics.media.jpeg_tables import estimate_quality

NAME = "cfa-study"
ISOLATED = True
BANDS = ((95, ">= 95"), (90, "90-94"), (80, "80-89"), (0, "< 80"))
CONTROL_FORMATS = (("PNG", None), ("JPEG", 98), ("JPEG", 95), ("JPEG", 90), ("JPEG", 85))
CONTROL_MAX_SIDE = 1600  # control images are at most this large, pixels
PASTED_SIDE = 0.3  # the pasted square's side, as a share of the image's sides (9% of the area)


def band(quality: int) -> str:
    return next(label for low, label in BANDS if quality >= low)


def mosaic_demosaic(rgb: np.ndarray) -> np.ndarray:
    """Sample an RGGB Bayer mosaic from RGB and demosaic it (OpenCV bilinear): full CFA traces."""
    h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    raw = np.empty((h, w), np.uint8)
    raw[0::2, 0::2] = rgb[0:h:2, 0:w:2, 2]
    raw[0::2, 1::2] = rgb[0:h:2, 1:w:2, 1]
    raw[1::2, 0::2] = rgb[1:h:2, 0:w:2, 1]
    raw[1::2, 1::2] = rgb[1:h:2, 1:w:2, 0]
    return cv2.cvtColor(raw, cv2.COLOR_BayerBG2RGB)


def control(rgb: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A demosaiced host with a square of the same scene before mosaicing, and its mask."""
    small = cv2.resize(rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    scale = min(1.0, CONTROL_MAX_SIDE / max(small.shape[:2]))
    if scale < 1.0:
        small = cv2.resize(small, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    host = mosaic_demosaic(small)
    h, w = host.shape[:2]
    rh, rw = int(h * PASTED_SIDE), int(w * PASTED_SIDE)
    rng = np.random.default_rng(seed)
    y, x = int(rng.integers(0, h - rh)), int(rng.integers(0, w - rw))
    mask = np.zeros((h, w), bool)
    mask[y : y + rh, x : x + rw] = True
    out = host.copy()
    out[mask] = small[:h, :w][mask]
    return out, mask


def camera_rows(folder: Path) -> list[tuple[str, str, float | None]]:
    """(file, quality band, score or None when not applicable) per camera JPEG."""
    rows = []
    for path in sorted(folder.glob("*.jpg")):
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            quality = estimate_quality(np.array(img.quantization[0])).quality  # type: ignore[attr-defined]  # JpegImageFile's
        result = cfa.analyze(Media.from_bytes(data, path.name))
        rows.append((path.name, band(quality), result.score if result.status == "ok" else None))
    return rows


def control_rows(folder: Path) -> list[tuple[str, str, float, float]]:
    """(format, status, F1 at 0.5, best F1) per control image and format."""
    rows: list[tuple[str, str, float, float]] = []
    for seed, path in enumerate(sorted(folder.glob("mdx__*.jpg"))[::6]):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        image, mask = control(rgb, seed)
        for fmt, quality in CONTROL_FORMATS:
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, fmt, **({"quality": quality} if quality else {}))
            result = cfa.analyze(Media.from_bytes(buf.getvalue()))
            f1_fixed = f1_best = 0.0
            if result.status == "ok":
                assert result.map is not None  # cfa maps every image it analyses
                suspicion = cv2.resize(result.map, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_LINEAR)
                scores = pixel_scores(np.round(np.clip(suspicion, 0, 1) * 255).astype(np.uint8), mask, 128)
                f1_fixed, f1_best = scores.f1_fixed, scores.f1_best
            rows.append((f"{fmt} {quality}" if quality else fmt, result.status, f1_fixed, f1_best))
    return rows


def table(camera: list, controls: list) -> str:
    lines = ["## Demosaicing (cfa) traces: where the analyzer applies", ""]
    lines += ["`.venv/bin/python -m vforensics.evaluation.benchmarks.cfa_study` on ../shared/bench/camera.", ""]
    lines += ["| camera originals, saved at quality | applicable | scores where applicable (max) |", "|---|---|---|"]
    for _, label in BANDS:
        in_band = [r for r in camera if r[1] == label]
        scores = [r[2] for r in in_band if r[2] is not None]
        top = f"{max(scores):.1f}" if scores else "-"
        lines.append(f"| {label} | {len(scores)} of {len(in_band)} | {top} |")
    lines += ["", "Positive control (re-mosaiced photos with 9% of the image pasted from before mosaicing):", ""]
    lines += ["| saved as | applicable | pixel F1 at 0.5 | pixel F1, best threshold |", "|---|---|---|---|"]
    for fmt in dict.fromkeys(r[0] for r in controls):
        rows = [r for r in controls if r[0] == fmt]
        applicable = sum(r[1] == "ok" for r in rows)
        f1_fixed = np.mean([r[2] for r in rows])
        f1_best = np.mean([r[3] for r in rows])
        lines.append(f"| {fmt} | {applicable} of {len(rows)} | {f1_fixed:.2f} | {f1_best:.2f} |")
    lines += ["", "(F1 counts 0 where the analyzer does not apply.)", ""]
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("--camera", type=Path, help="camera originals (default: BENCH/camera)")


def run(context: Context, camera: Path | None = None) -> dict:
    """Per camera original its quality band and score; per control image and format its F1."""
    camera = camera or context.bench / "camera"
    if not camera.is_dir():
        raise SystemExit(f"{camera} not found")
    cv2.setNumThreads(1)
    return {"camera": camera_rows(camera), "controls": control_rows(camera)}


def to_markdown(results: dict) -> str:
    return table(results["camera"], results["controls"])


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
