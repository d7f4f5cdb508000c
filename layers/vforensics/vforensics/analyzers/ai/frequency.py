"""AI-generation signals in the frequency domain, and the first spec's threshold rules.

Reports the statistics of ``vforensics.analyzers.ai._signals.frequency_metrics`` (spectral slope and
fit R^2, high-frequency ratio, spectral flatness, spectral peak anomalies) and scores the
picture with the first product spec's six threshold rules (``vforensics.analyzers.ai._spec_rules``):
``score`` is their ``ai_generation_score``, ``map`` their block-level suspicion map. The rules
are kept as documented behaviour and as the baseline the trained detector (``ai_model``) is
measured against; they are weak (docs/BENCHMARKS.md), and ``overall.ai_likelihood`` does not
use this score unless ``python -m vforensics.evaluation.fitting.fit_ai_likelihood`` finds that it
helps on held-out data.
"""

from __future__ import annotations

from vforensics.analyzers.ai import _signals as signals
from vforensics.analyzers.ai import _spec_rules as spec_rules
from vforensics.analyzers.ai.bands import verdict
from vforensics.analyzers.base import AnalyzerResult, skipped
from vforensics.media.image import Media

NAME = "ai_frequency"
MIN_SIDE = 64


def analyze(media: Media) -> AnalyzerResult:
    rgb = media.rgb
    if min(rgb.shape[:2]) < MIN_SIDE:
        return skipped(f"image smaller than {MIN_SIDE} px")
    metrics = signals.frequency_metrics(signals.luminance(rgb))
    if not metrics:
        return skipped("the picture is flat: it has no spectrum to describe")
    rule_values = spec_rules.values(rgb)
    rule_score, indicators = spec_rules.score(rule_values)
    details = {
        **{k: round(v, 6) for k, v in metrics.items()},
        "spec_rules": {
            "ai_generation_score": rule_score,
            "verdict": verdict(rule_score),
            "indicators": indicators,
            "values": {k: round(v, 6) for k, v in rule_values.items()},
        },
        "window": signals.WINDOW_TEXT,
    }
    found = "; ".join(indicators) if indicators else "none of its rules fires"
    text = (
        f"Spec threshold rules: {verdict(rule_score)} ({rule_score:.0f}/100): {found}. These hand-set rules are "
        "a weak baseline (they fire on smooth or saturated real photos and miss detailed AI images); the "
        "spectral statistics are reported for experts. Rely on the trained detector and the metadata instead."
    )
    return AnalyzerResult("ok", rule_score, text, details, map=spec_rules.block_map(rgb))
