"""The forensic analyzers, all with one contract (:mod:`.base`), declared in :mod:`.registry`.

Each analyzer is a module or a family package with ``NAME`` and ``analyze(media) ->
AnalyzerResult``: ``ela``, ``cfa`` and ``enhance`` are single modules; ``jpeg``, ``noise``,
``copy_move``, ``metadata`` and ``ai`` are packages whose helpers are private (``_name.py``)
and whose ``__init__`` is their public surface.

``ANALYZERS`` maps every registered name to its ``analyze`` function; a module is imported
when its function is first looked up.
"""

from collections.abc import Iterator, Mapping

from vforensics.analyzers.base import AnalyzerResult
from vforensics.analyzers.registry import SPECS, Analyze, AnalyzerSpec, get_analyzer, names_for, spec_of


class _Registered(Mapping[str, Analyze]):
    def __getitem__(self, name: str) -> Analyze:
        if name not in SPECS:
            raise KeyError(name)
        return get_analyzer(name)

    def __iter__(self) -> Iterator[str]:
        return iter(SPECS)

    def __len__(self) -> int:
        return len(SPECS)


ANALYZERS: Mapping[str, Analyze] = _Registered()

__all__ = ["ANALYZERS", "AnalyzerResult", "AnalyzerSpec", "get_analyzer", "names_for", "spec_of"]
