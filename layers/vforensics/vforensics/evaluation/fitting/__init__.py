"""Fitting the overall scores on the benchmarks (development tooling, needs the repository checkout).

- ``calibrate_scoring``: the tampering score's noisy-OR reliabilities and the combined map's
  weights, fitted on the synthetic benchmark's outputs (``vforensics.evaluation.calibration``);
  ``--write`` stores them in ``vforensics/scoring/data/scoring_calibration.json``;
- ``fit_ai_likelihood``: ``overall.ai_likelihood``, the detector's logit plus the signals that
  earn their place on held-out-family evidence (each AI image with the logit of the network
  trained without its family); ``--write`` stores it in
  ``vforensics/scoring/data/ai_likelihood.json``.

Each runs as ``python -m vforensics.evaluation.fitting.<name> [--help]``.
"""
