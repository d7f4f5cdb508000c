"""The forensic analyzers, one module per method, all with the same interface.

``ANALYZERS`` maps the stable analyzer name (used in report.json, map file names and the
state machine's branches) to its ``analyze(media) -> AnalyzerResult`` function.
"""

from collections.abc import Callable

from vforensics.analyzers import (
    ai_frequency,
    ai_model,
    ai_srm,
    ai_texture,
    cfa,
    copy_move,
    ela,
    enhance,
    jpeg,
    metadata,
    noise,
)
from vforensics.analyzers.base import AnalyzerResult
from vforensics.media.image import Media

ANALYZERS: dict[str, Callable[[Media], AnalyzerResult]] = {
    metadata.NAME: metadata.analyze,
    ela.NAME: ela.analyze,
    noise.NAME: noise.analyze,
    jpeg.NAME: jpeg.analyze,
    copy_move.NAME: copy_move.analyze,
    cfa.NAME: cfa.analyze,
    enhance.NAME: enhance.analyze,
    ai_model.NAME: ai_model.analyze,
    ai_frequency.NAME: ai_frequency.analyze,
    ai_texture.NAME: ai_texture.analyze,
    ai_srm.NAME: ai_srm.analyze,
}


def get_analyzer(name: str) -> Callable[[Media], AnalyzerResult]:
    try:
        return ANALYZERS[name]
    except KeyError:
        raise ValueError(f"unknown analyzer {name!r}; known: {', '.join(sorted(ANALYZERS))}") from None
