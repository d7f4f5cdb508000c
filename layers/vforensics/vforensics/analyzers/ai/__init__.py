"""AI-generated image evidence: the trained detector and the specs' hand-crafted signals.

Four analyzers: :mod:`.model` (the ResNet-18 detector, ONNX Runtime), :mod:`.frequency`
(spectrum statistics and the first spec's threshold rules), :mod:`.texture` and :mod:`.srm`
(statistics reported, not scored). :mod:`.normalise` is public because training must prepare
crops exactly as serving does; ``_signals`` and ``_spec_rules`` are private helpers.
:func:`verdict` names the bands of an AI likelihood, shared with the overall score.
"""

from vforensics.analyzers.ai.model import BANDS, verdict

__all__ = ["BANDS", "verdict"]
