"""The dependency audit PyPI still allows where its per-release JSON cannot be reached.

    python tools/audit_pins.py requirements.txt layers/vforensics/requirements.txt ...

pip-audit reads each pin's advisories from ``https://pypi.org/pypi/<name>/<version>/json``;
where that answers 404 (as on this project's machines) the project JSON,
``https://pypi.org/pypi/<name>/json``, still answers, and its ``vulnerabilities`` are PyPI's
advisories (OSV) for the *latest* release only. So a pin at the latest release is audited
(any advisory fails the audit), and a pin behind it cannot be and is listed as NOT AUDITED.

    python tools/audit_pins.py --osv ADVISORY_DIR --accept audit/accepted-advisories.txt requirements.txt ...

With ``--osv``, a folder of OSV advisories (a checkout of PyPA's advisory database, the data
PyPI's own advisories come from; :mod:`tools.osv_advisories`) audits every pin as well, those
behind the latest release included, as of the folder's newest advisory, which is printed.
``--accept`` names advisories accepted on one exact pin, with the reason (``audit/accepted-advisories.txt``).
Exit status: 1 when an audited pin has an advisory or some lookup failed; 3 when nothing failed
but some pins were not audited and 4 when PyPI could not be reached at all (the Makefile decides
whether those fail CI); 0 when every pin was audited and none has an advisory.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


def _name(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def pins(paths: list[str]) -> list[tuple[str, str]]:
    """Every distinct ``name==version`` pin (extras, markers and comments dropped, names lower-cased),
    sorted: two files pinning one package at different versions give two pins, both audited."""
    found: set[tuple[str, str]] = set()
    for path in paths:
        for raw in Path(path).read_text().splitlines():
            line = raw.split("#", 1)[0].split(";", 1)[0].strip()
            name, sep, version = line.partition("==")
            if sep and name and not line.startswith("-"):
                found.add((_name(name.split("[", 1)[0]), version.strip()))
    return sorted(found)


def look_up(name: str, version: str) -> tuple[str, str, str | None, list[dict] | None, str | None]:
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=30) as answer:  # noqa: S310 - fixed https URL
            project = json.load(answer)
    except Exception as exc:  # a lookup that fails is a failed audit, never a pass
        return name, version, None, None, f"{type(exc).__name__}: {exc}"[:120]
    return name, version, project["info"]["version"], project.get("vulnerabilities") or [], None


def accepted(path: Path) -> set[tuple[str, str, str]]:
    """(advisory id, name, version) of each line ``ID name==version  # why`` of an accepted-advisories file."""
    found = set()
    for raw in path.read_text().splitlines():
        fields = raw.split("#", 1)[0].split()
        if len(fields) == 2 and "==" in fields[1]:
            name, _, version = fields[1].partition("==")
            found.add((fields[0], _name(name), version))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Audit pinned requirements against PyPI's advisories.")
    parser.add_argument("--osv", type=Path, help="a folder of OSV advisories that audits every pin as well")
    parser.add_argument("--accept", type=Path, help="accepted advisories: lines 'ID name==version  # why'")
    parser.add_argument("requirements", nargs="+")
    args = parser.parse_args(argv)
    folder = None
    if args.osv is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or as tools.audit_pins
        from osv_advisories import AdvisoryFolder  # PyYAML and packaging: only this mode needs them

        folder = AdvisoryFolder(args.osv)
    allowed = accepted(args.accept) if args.accept else set()
    pinned = pins(args.requirements)
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = sorted(pool.map(lambda item: look_up(*item), pinned))
    live = [
        (n, v, [x for x in vulns if (x.get("id"), n, v) not in allowed])
        for n, v, latest, vulns, _ in rows
        if latest == v and vulns
    ]
    vulnerable = [(n, v, vulns) for n, v, vulns in live if vulns]
    failed = [(n, v, err) for n, v, _, _, err in rows if err]
    behind = [(n, v, latest) for n, v, latest, _, err in rows if not err and latest != v]
    for name, version, vulns in vulnerable:
        for vuln in vulns:
            fixed = ", ".join(vuln.get("fixed_in") or []) or "no fix listed"
            print(f"VULNERABLE {name}=={version}: {vuln.get('id')} {vuln.get('aliases') or ''} (fixed in {fixed})")
    found = [(n, v, a) for n, v in pinned for a in (folder.affecting(n, v) if folder else [])]
    offline = [(n, v, a) for n, v, a in found if (a.id, n, v) not in allowed]
    for name, version, advisory in found:
        if (advisory.id, name, version) in allowed:
            print(f"ACCEPTED {name}=={version}: {advisory.id} (listed in {args.accept})")
    for name, version, advisory in offline:
        fixed = ", ".join(advisory.fixed) or "no fix listed"
        aliases = list(advisory.aliases)
        print(f"VULNERABLE {name}=={version}: {advisory.id} {aliases} (fixed in {fixed}; advisory database)")
    for name, version, error in failed:
        print(f"LOOKUP FAILED {name}=={version}: {error}")
    if folder is None:
        for name, version, latest in behind:
            print(f"NOT AUDITED {name}=={version} (PyPI gives advisories for {latest} only)")
    audited = len(rows) - len(failed) - len(behind)
    print(
        f"dependency audit: {audited} of {len(rows)} pins audited against PyPI's advisories, "
        f"{len({(n, v) for n, v, _ in vulnerable})} vulnerable, {len(behind)} behind the latest release"
        f"{'' if folder else ' (not audited)'}, {len(failed)} lookups failed"
    )
    if folder is not None:
        print(
            f"advisory database {folder.root}: {folder.files} advisories, "
            f"newest published {folder.newest() or 'unknown'}; "
            f"all {len(pinned)} pins audited against it, {len({(n, v) for n, v, _ in offline})} vulnerable"
        )
    if folder is None and rows and len(failed) == len(rows):
        print("DEPENDENCY AUDIT NOT PERFORMED: PyPI's project JSON cannot be reached from here")
        return 4
    if vulnerable or offline or (failed and folder is None):
        return 1
    # With the folder every pin is audited as of its date; failed live lookups leave it partial.
    return 3 if (failed if folder is not None else behind) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
