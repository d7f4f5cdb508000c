"""Did synth's old float IJG scaling ever give other tables than libjpeg's integer rule?

``vforensics.evaluation.synth`` once scaled the Annex K tables with ``5000 / quality`` in
floating point; libjpeg (and ``vforensics.analyzers.jpeg.ijg_table``) uses ``5000 // quality``.
This prints the qualities 1-100 whose tables differ, and whether synth's quality estimate
(luma + chroma error, ties to the lower quality) changes for any Pillow quality 1-100 or any
JPEG of ../shared/bench. Result when synth switched to the integer rule: tables differ at
qualities 9, 11-16, 18, 19, 22-24, 26-39 and 41-48; no estimate changes.

    .venv/bin/python studies/ijg_float_scaling.py [BENCH_DIR]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers.jpeg import IJG_CHROMA, IJG_LUMA, ijg_table

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def float_table(base: np.ndarray, quality: int) -> np.ndarray:
    """The float scaling synth used before (kept here only to compare)."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((base.astype(np.float64) * scale + 50) / 100), 1, 255)


def estimate(quantization: dict, table) -> int:
    tables = [np.asarray(quantization[k], np.float64) for k in sorted(quantization)[:2]]
    bases = [IJG_LUMA, IJG_CHROMA][: len(tables)]
    errors = [
        sum(float(np.abs(t - table(b, q)).mean()) for t, b in zip(tables, bases, strict=True)) for q in range(1, 101)
    ]
    return int(np.argmin(errors)) + 1


def main(argv: list[str]) -> int:
    bench = Path(argv[0]) if argv else BENCH
    differ = [
        q
        for q in range(1, 101)
        if any(not np.array_equal(float_table(b, q), ijg_table(b, q)) for b in (IJG_LUMA, IJG_CHROMA))
    ]
    print("qualities whose tables differ:", differ)
    quantizations = []
    for q in range(1, 101):
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16)).save(buffer, "JPEG", quality=q)
        quantizations.append((f"Pillow q{q}", Image.open(buffer).quantization))
    for path in sorted(p for p in bench.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg")):
        with Image.open(path) as img:
            if getattr(img, "quantization", None):
                quantizations.append((str(path.relative_to(bench)), img.quantization))
    changed = [name for name, qt in quantizations if estimate(qt, float_table) != estimate(qt, ijg_table)]
    print(f"estimates that change: {len(changed)} of {len(quantizations)}", *changed, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
