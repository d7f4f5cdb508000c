"""Measuring the pipeline: forgery synthesis, accuracy metrics, evaluation and performance.

Development tooling (``vforensics synth | eval | perf``), not used by the Lambda handlers.
Plotting needs matplotlib, installed with the development requirements.
"""
