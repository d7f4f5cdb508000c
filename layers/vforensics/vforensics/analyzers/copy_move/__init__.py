"""Copy-move (cloned region) detection with a mask of source and copy.

The analyzer is :func:`analyze` (``_analyzer``); its stages are private: ``_keypoints``
(SIFT candidates), ``_dense`` (block correlation of translated copies) and ``_verify``
(dense verification of every candidate transform).
"""

from vforensics.analyzers.copy_move._analyzer import NAME, analysis_gray, analyze

__all__ = ["NAME", "analysis_gray", "analyze"]
