"""The range of the enhance analyzer's histogram numbers on untouched camera photos.

Prints the 5th and 95th percentiles of the luminance-histogram peak count and of the empty
levels inside the 1-99 % tonal range over the JPEGs of ../shared/bench/camera; these are
``NORMAL_PEAKS`` and ``NORMAL_GAPS`` in vforensics/analyzers/enhance.py. It also prints the
range of the content numbers (flat 8x8 blocks, distinct colours) behind its
``SYNTHETIC_*`` thresholds.

    .venv/bin/python studies/measure_histogram_range.py [CAMERA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers.enhance import content_summary, histogram_summary

CAMERA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "camera"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else CAMERA
    peaks, gaps, flat, colours = [], [], [], []
    for path in sorted(folder.glob("*.jpg")):
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"))
        gray = np.asarray(Image.fromarray(rgb).convert("L"))
        summary = histogram_summary(gray)
        peaks.append(summary["peak_count"])
        gaps.append(summary["empty_levels_in_range"])
        content = content_summary(rgb, gray)
        flat.append(content["flat_block_share"])
        colours.append(content["distinct_colours_in_sample"])
    if not peaks:
        print(f"no JPEGs in {folder}")
        return 1
    named = (
        ("peak count", peaks),
        ("empty levels in range", gaps),
        ("flat block share", flat),
        ("distinct colours", colours),
    )
    for name, values in named:
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        low, high = min(values), max(values)
        print(f"{name}: n={len(values)} min={low:g} p5={p5:g} median={p50:g} p95={p95:g} max={high:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
