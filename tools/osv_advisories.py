"""Which advisories of an OSV folder affect a pinned PyPI release.

A folder of OSV advisories (https://ossf.github.io/osv-schema/) as YAML or JSON files, such as
a checkout of PyPA's advisory database (https://github.com/pypa/advisory-database, the ``vulns/``
folder: PyPI's own vulnerability data), is read once; :func:`affecting` then says which of its
advisories name a package and version. A version is affected when it is listed in an entry's
``versions`` or falls in one of its ``ECOSYSTEM`` ranges, evaluated as the schema says: the
events sorted by version, each ``introduced`` at or below the version turning it affected, each
``fixed`` at or below it (or ``last_affected`` below it) turning it back. Withdrawn advisories
are skipped. ``GIT`` ranges (commit hashes) cannot be placed against a release and are ignored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

SUFFIXES = (".yaml", ".yml", ".json")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    bounds = [(kind, bound) for e in events for kind, value in e.items() if (bound := _version(str(value))) is not None]
    affected = False
    for kind, bound in sorted(bounds, key=lambda item: item[1]):
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def _affects(entry: dict[str, Any], version_text: str) -> bool:
    if version_text in (entry.get("versions") or []):
        return True
    version = _version(version_text)
    if version is None:
        return False
    return any(
        _in_range(version, r.get("events") or []) for r in entry.get("ranges") or [] if r.get("type") == "ECOSYSTEM"
    )


class AdvisoryFolder:
    """The PyPI advisories of one OSV folder, indexed by canonical package name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self._by_package: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for path in sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
            text = path.read_text(encoding="utf-8")
            record = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_LOADER)
            if not isinstance(record, dict) or "id" not in record or record.get("withdrawn"):
                continue
            self.files += 1
            for entry in record.get("affected") or []:
                package = entry.get("package") or {}
                if package.get("ecosystem") == "PyPI" and package.get("name"):
                    self._by_package[canonicalize_name(package["name"])].append(record)

    def affecting(self, name: str, version: str) -> list[Advisory]:
        found: dict[str, Advisory] = {}
        for record in self._by_package.get(canonicalize_name(name), []):
            entries = [
                e
                for e in record.get("affected") or []
                if canonicalize_name((e.get("package") or {}).get("name", "")) == canonicalize_name(name)
            ]
            if any(_affects(e, version) for e in entries):
                fixed = sorted(
                    {
                        ev["fixed"]
                        for e in entries
                        for r in e.get("ranges") or []
                        if r.get("type") == "ECOSYSTEM"
                        for ev in r.get("events") or []
                        if "fixed" in ev
                    }
                )
                found[record["id"]] = Advisory(record["id"], tuple(record.get("aliases") or ()), tuple(fixed))
        return [found[k] for k in sorted(found)]

    def newest(self) -> str:
        """The latest ``published`` date among the folder's PyPI advisories: how current it is
        (not ``modified``, which some records date in the future)."""
        dates = [str(r.get("published", "")) for records in self._by_package.values() for r in records]
        return max(dates, default="")
