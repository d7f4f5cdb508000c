"""AI-generation signals in texture, colour and pixel statistics (raw numbers, no score).

LBP entropy, GLCM energy, edge-sharpness CV, gradient-direction uniformity, gradient
kurtosis, Laplacian variance, chromatic aberration, colour entropy, saturation, histogram
roughness, checkerboard and 8 px grid ratios, histogram gaps and luminance entropy, as
``vforensics.analyzers.ai._signals.texture_colour_pixel_metrics`` defines them (with their papers).
No one of them separates AI images from photos reliably (docs/BENCHMARKS.md gives each
one's AUC), so the analyzer reports them and scores nothing.
"""

from __future__ import annotations

from vforensics.analyzers.ai import _signals as signals
from vforensics.analyzers.base import AnalyzerResult, unscored_statistics
from vforensics.media.image import Media

NAME = "ai_texture"
MIN_SIDE = 32
INTERPRETATION = (
    "Texture, colour and pixel statistics of the kind the specs associate with AI generation, reported for "
    "experts; none is reliable on its own, so none is scored."
)


def analyze(media: Media) -> AnalyzerResult:
    return unscored_statistics(
        media.rgb, signals.texture_colour_pixel_metrics, MIN_SIDE, INTERPRETATION, window=signals.WINDOW_TEXT
    )
