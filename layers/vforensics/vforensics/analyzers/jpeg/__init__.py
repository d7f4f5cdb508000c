"""JPEG compression history: quantization tables, blocking grid, double compression, ghosts.

The analyzer is :func:`analyze` (``_analyzer``); its helpers are private: ``_dct`` (blocking
grid and coefficients), ``_double`` (aligned and non-aligned double quantization) and
``_ghost`` (JPEG ghosts). The quantization tables, the IJG quality and the encoder database
are read by :mod:`vforensics.media.jpeg_tables`, which the metadata analyzer shares; the IJG
table scaling is re-exported here for the benchmark's case generator, which must save with
exactly the tables the analyzer reasons about.
"""

from vforensics.analyzers.jpeg._analyzer import NAME, FileFacts, analyze, read_file_facts
from vforensics.media.jpeg_tables import IJG_CHROMA, IJG_LUMA, ZIGZAG, estimate_quality, ijg_table

__all__ = [
    "IJG_CHROMA",
    "IJG_LUMA",
    "NAME",
    "ZIGZAG",
    "FileFacts",
    "analyze",
    "estimate_quality",
    "ijg_table",
    "read_file_facts",
]
