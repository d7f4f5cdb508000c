"""AI-generation signals in the noise residual and SRM high-pass energy (raw numbers, no score).

Nine statistics of the 3x3 median-filter residual (level as standard deviation and MAD,
its spread over 32 px blocks as CV and 5th/95th percentile ratio, kurtosis, skewness,
inter-channel and lag-1 spatial correlation, noise-to-signal ratio) and the energy of the
three SRM kernels (Fridrich & Kodovsky 2012) relative to the image's contrast, as
``vforensics.analyzers.ai._signals.noise_srm_metrics`` defines them. Camera noise is signal-dependent,
spatially white and weakly correlated across channels after demosaicing; generated images
often are not, but compression and resizing change all of these, so nothing is scored.
"""

from __future__ import annotations

from vforensics.analyzers.ai import _signals as signals
from vforensics.analyzers.base import AnalyzerResult, unscored_statistics
from vforensics.media.image import Media

NAME = "ai_srm"
MIN_SIDE = 32
INTERPRETATION = (
    "Noise-residual and SRM statistics of the kind the specs associate with AI generation, reported for "
    "experts; compression and resizing change them as much as generation does, so none is scored."
)


def analyze(media: Media) -> AnalyzerResult:
    return unscored_statistics(
        media.rgb, signals.noise_srm_metrics, MIN_SIDE, INTERPRETATION, window=signals.WINDOW_TEXT
    )
