"""JPEG compression history: quantization tables, blocking grid, double compression, ghosts.

The analyzer is :func:`analyze` (``_analyzer``); its helpers are private: ``_tables`` (the
tables, IJG quality and the encoder database), ``_dct`` (blocking grid and coefficients),
``_double`` (aligned and non-aligned double quantization) and ``_ghost`` (JPEG ghosts). The
IJG table scaling is public because the benchmark's case generator must save with exactly
the tables the analyzer reasons about.
"""

from vforensics.analyzers.jpeg._analyzer import NAME, FileFacts, analyze, read_file_facts
from vforensics.analyzers.jpeg._tables import IJG_CHROMA, IJG_LUMA, ZIGZAG, estimate_quality, ijg_table

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
