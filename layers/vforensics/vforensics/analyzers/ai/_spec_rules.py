"""The first product spec's AI-generation rules (its section 4.6), kept as documented behaviour.

Six statistics, each compared with a fixed threshold in the direction the spec names (AI
images said to be smoother, more saturated, poorer in high frequencies, edges and texture,
with an unusually flat spectrum); every rule that fires adds its weight to
``ai_generation_score`` (0-100), names an indicator, and the same rules on 64 px blocks make
the block-level suspicion map. The spec gave the directions, not the numbers: each threshold
sits at about the 10th (or 90th) percentile of real photos of the detector's training split,
so that each rule alone fires on about one real photo in ten.

This is the baseline the trained detector is measured against (docs/BENCHMARKS.md), not a
detector to rely on: hand-set thresholds on global statistics generalise poorly across
generators (on AIGCDetectBenchmark a frequency-only detector averages about 64% accuracy
over 16 generators: Zhong et al., "PatchCraft", 2023), and on shared/bench several of the
spec's directions are the wrong way round (the diffusion images there are *more* detailed
than native-resolution camera crops).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vforensics.analyzers.ai import _signals as signals

BLOCK = 64  # side of the native-resolution squares the suspicion map judges, pixels


@dataclass(frozen=True)
class Rule:
    metric: str
    above: bool  # fires when the value is above the threshold (else below)
    threshold: float
    weight: float
    indicator: str


RULES = (
    Rule("high_frequency_ratio", False, 0.0003, 20, "little high-frequency energy (over-smooth)"),
    Rule("mean_saturation", True, 0.28, 15, "unusually saturated colours"),
    Rule("laplacian_variance", False, 28.0, 20, "low Laplacian variance (soft, painted look)"),
    Rule("spectral_flatness", True, 0.043, 15, "unusually flat power spectrum"),
    Rule("edge_density", False, 0.009, 15, "few edges for the picture's size"),
    Rule("lbp_entropy", False, 2.77, 15, "little variety of micro-texture (LBP entropy)"),
)


def values(rgb: np.ndarray) -> dict[str, float]:
    """The six statistics on the native-resolution centre window."""
    window = signals.centre_window(rgb)
    gray = signals.luminance(window)
    radius, power, _ = signals.radial_spectrum(gray)
    total = max(float(power[1:].sum()), 1e-9)
    edges = cv2.Canny(gray.astype(np.uint8), 50, 150) > 0
    return {
        "high_frequency_ratio": float(power[radius >= 0.25].sum() / total),
        "mean_saturation": float(cv2.cvtColor(window, cv2.COLOR_RGB2HSV)[..., 1].mean() / 255),
        "laplacian_variance": float(cv2.Laplacian(gray, cv2.CV_32F).var()),
        "spectral_flatness": float(np.exp(np.mean(np.log(power[1:] + 1e-9))) / max(power[1:].mean(), 1e-9)),
        "edge_density": float(edges.mean()),
        "lbp_entropy": signals.lbp_entropy(gray),
    }


def fired(metrics: dict[str, float]) -> list[Rule]:
    return [r for r in RULES if (metrics[r.metric] > r.threshold if r.above else metrics[r.metric] < r.threshold)]


def score(metrics: dict[str, float]) -> tuple[float, list[str]]:
    """(ai_generation_score 0-100, indicators) of the rules that fire."""
    hits = fired(metrics)
    return float(sum(r.weight for r in hits)), [r.indicator for r in hits]


def block_map(rgb: np.ndarray, max_cells: int = 32) -> np.ndarray:
    """Rule score / 100 per cell over the whole picture (the spec's block-level suspicion map).

    Cells are at least ``BLOCK`` px and at most ``max_cells`` a side; each is judged on the
    native-resolution ``BLOCK`` px square at its centre.
    """
    h, w = rgb.shape[:2]
    cell = max(BLOCK, int(np.ceil(max(h, w) / max_cells)))
    rows, cols = max(1, h // cell), max(1, w // cell)
    out = np.zeros((rows, cols), np.float32)
    if min(h, w) < BLOCK:
        return out
    for by in range(rows):
        for bx in range(cols):
            y = min(h - BLOCK, by * cell + (cell - BLOCK) // 2)
            x = min(w - BLOCK, bx * cell + (cell - BLOCK) // 2)
            out[by, bx] = score(values(np.ascontiguousarray(rgb[y : y + BLOCK, x : x + BLOCK])))[0] / 100.0
    return out
