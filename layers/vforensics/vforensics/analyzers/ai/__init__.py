"""AI-generated image evidence: the trained detector and the specs' hand-crafted signals.

Four analyzers: :mod:`.model` (the ResNet-18 detector, ONNX Runtime), :mod:`.frequency`
(spectrum statistics and the first spec's threshold rules), :mod:`.texture` and :mod:`.srm`
(statistics reported, not scored). :mod:`.normalise` is public because training must prepare
crops exactly as serving does, and it needs only numpy and Pillow: this package imports none
of its modules eagerly, so the training environment (torch, no OpenCV) can import it.
``_signals`` and ``_spec_rules`` are private helpers; :mod:`.bands` names the bands
of an AI likelihood, shared with the overall score, and the false-alarm bound of their fits.
"""
