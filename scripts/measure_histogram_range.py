"""The range of the enhance analyzer's histogram numbers on untouched camera photos.

Prints the 5th and 95th percentiles of the luminance-histogram peak count and of the empty
levels inside the 1-99 % tonal range over the JPEGs of ../shared/bench/camera; these are
``NORMAL_PEAKS`` and ``NORMAL_GAPS`` in vforensics/analyzers/enhance.py.

    .venv/bin/python scripts/measure_histogram_range.py [CAMERA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers.enhance import histogram_summary

CAMERA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "camera"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else CAMERA
    peaks, gaps = [], []
    for path in sorted(folder.glob("*.jpg")):
        with Image.open(path) as img:
            gray = np.asarray(img.convert("L"))
        summary = histogram_summary(gray)
        peaks.append(summary["peak_count"])
        gaps.append(summary["empty_levels_in_range"])
    if not peaks:
        print(f"no JPEGs in {folder}")
        return 1
    for name, values in (("peak count", peaks), ("empty levels in range", gaps)):
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        print(f"{name}: n={len(values)} p5={p5:.0f} median={p50:.0f} p95={p95:.0f} max={max(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
