"""Noise-level inconsistency: local noise levels against the image's noise-level function.

The analyzer is :func:`analyze` (``_analyzer``); ``_levels`` (windowed residual levels) and
``_cooccurrence`` (residual co-occurrence statistics) are its private helpers.
"""

from vforensics.analyzers.noise._analyzer import NAME, analyze

__all__ = ["NAME", "analyze"]
