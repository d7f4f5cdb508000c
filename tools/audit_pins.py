"""The dependency audit PyPI still allows where its per-release JSON cannot be reached.

    python tools/audit_pins.py requirements.txt layers/vforensics/requirements.txt ...

pip-audit reads each pin's advisories from ``https://pypi.org/pypi/<name>/<version>/json``;
where that answers 404 (as on this project's machines) the project JSON,
``https://pypi.org/pypi/<name>/json``, still answers, and its ``vulnerabilities`` are PyPI's
advisories (OSV) for the *latest* release only. So a pin at the latest release is audited
(any advisory fails the audit), and a pin behind it cannot be and is listed as NOT AUDITED.
Exit status: 1 when an audited pin has an advisory or some lookup failed; 3 when nothing failed
but some pins were not audited and 4 when PyPI could not be reached at all (the Makefile decides
whether those fail CI); 0 when every pin was audited and none has an advisory.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


def pins(paths: list[str]) -> list[tuple[str, str]]:
    """Every distinct ``name==version`` pin (extras, markers and comments dropped, names lower-cased),
    sorted: two files pinning one package at different versions give two pins, both audited."""
    found: set[tuple[str, str]] = set()
    for path in paths:
        for raw in Path(path).read_text().splitlines():
            line = raw.split("#", 1)[0].split(";", 1)[0].strip()
            name, sep, version = line.partition("==")
            if sep and name and not line.startswith("-"):
                found.add((name.split("[", 1)[0].strip().lower().replace("_", "-"), version.strip()))
    return sorted(found)


def look_up(name: str, version: str) -> tuple[str, str, str | None, list[dict] | None, str | None]:
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=30) as answer:  # noqa: S310 - fixed https URL
            project = json.load(answer)
    except Exception as exc:  # a lookup that fails is a failed audit, never a pass
        return name, version, None, None, f"{type(exc).__name__}: {exc}"[:120]
    return name, version, project["info"]["version"], project.get("vulnerabilities") or [], None


def main(argv: list[str]) -> int:
    pinned = pins(argv)
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = sorted(pool.map(lambda item: look_up(*item), pinned))
    vulnerable = [(n, v, vulns) for n, v, latest, vulns, err in rows if latest == v and vulns]
    failed = [(n, v, err) for n, v, _, _, err in rows if err]
    behind = [(n, v, latest) for n, v, latest, _, err in rows if not err and latest != v]
    for name, version, vulns in vulnerable:
        for vuln in vulns:
            fixed = ", ".join(vuln.get("fixed_in") or []) or "no fix listed"
            print(f"VULNERABLE {name}=={version}: {vuln.get('id')} {vuln.get('aliases') or ''} (fixed in {fixed})")
    for name, version, error in failed:
        print(f"LOOKUP FAILED {name}=={version}: {error}")
    for name, version, latest in behind:
        print(f"NOT AUDITED {name}=={version} (PyPI gives advisories for {latest} only)")
    audited = len(rows) - len(failed) - len(behind)
    print(
        f"dependency audit: {audited} of {len(rows)} pins audited against PyPI's advisories, "
        f"{len(vulnerable)} vulnerable, {len(behind)} not audited (behind the latest release), "
        f"{len(failed)} lookups failed"
    )
    if rows and len(failed) == len(rows):
        print("DEPENDENCY AUDIT NOT PERFORMED: PyPI's project JSON cannot be reached from here")
        return 4
    if vulnerable or failed:
        return 1
    return 3 if behind else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
