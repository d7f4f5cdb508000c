"""tools/osv_advisories.py: OSV ranges read as the schema says, and tools/audit_pins.py --osv failing on a match."""

import subprocess
import sys
import textwrap

import pytest

from tools.osv_advisories import AdvisoryFolder

REPO_TOOL = "tools/audit_pins.py"
PACKAGE = "vf-osv-test-package"  # not on PyPI: the live lookup fails, the folder still audits


def _write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def advisories(tmp_path):
    root = tmp_path / "vulns"
    _write(
        root,
        "vf_osv_test_package/PYSEC-0000-1.yaml",
        """\
        id: PYSEC-0000-1
        modified: "2026-07-01T00:00:00Z"
        published: "2026-06-30T00:00:00Z"
        aliases: [CVE-0000-0001]
        affected:
        - package: {name: VF_OSV.Test-Package, ecosystem: PyPI}
          ranges:
          - type: ECOSYSTEM
            events: [{introduced: "0"}, {fixed: "1.5"}, {introduced: "2.0"}, {fixed: "2.3.1"}]
          - type: GIT
            events: [{introduced: "0"}, {fixed: "abc123"}]
        """,
    )
    _write(
        root,
        "vf-osv-test-package/GHSA-xxxx.json",
        '{"id": "GHSA-xxxx", "published": "2026-07-02T00:00:00Z", "affected": [{"package": '
        '{"name": "vf-osv-test-package", "ecosystem": "PyPI"}, "ranges": [{"type": "ECOSYSTEM", '
        '"events": [{"introduced": "3.0"}, {"last_affected": "3.2"}]}], "versions": ["9.9rc1"]}]}',
    )
    _write(
        root,
        "vf-osv-test-package/PYSEC-0000-2.yaml",
        """\
        id: PYSEC-0000-2
        withdrawn: "2026-07-03T00:00:00Z"
        affected:
        - package: {name: vf-osv-test-package, ecosystem: PyPI}
          ranges: [{type: ECOSYSTEM, events: [{introduced: "0"}]}]
        """,
    )
    _write(
        root,
        "other/RUSTSEC-0000-1.yaml",
        """\
        id: RUSTSEC-0000-1
        published: "2027-01-01T00:00:00Z"
        affected:
        - package: {name: vf-osv-test-package, ecosystem: crates.io}
          ranges: [{type: ECOSYSTEM, events: [{introduced: "0"}]}]
        """,
    )
    return AdvisoryFolder(root)


@pytest.mark.parametrize(
    ("version", "ids"),
    [
        ("0.1", ["PYSEC-0000-1"]),
        ("1.4.9", ["PYSEC-0000-1"]),
        ("1.5", []),  # fixed in 1.5
        ("1.9", []),  # between the two ranges
        ("2.0", ["PYSEC-0000-1"]),
        ("2.3.1", []),
        ("3.0", ["GHSA-xxxx"]),
        ("3.2", ["GHSA-xxxx"]),  # last_affected is affected
        ("3.2.1", []),
        ("9.9rc1", ["GHSA-xxxx"]),  # listed by name in versions
    ],
)
def test_ranges_fixed_and_last_affected_and_listed_versions(advisories, version, ids):
    assert [a.id for a in advisories.affecting("vf-osv-test-package", version)] == ids


def test_names_are_compared_canonically_and_withdrawn_or_other_ecosystems_skipped(advisories):
    assert [a.id for a in advisories.affecting("VF_OSV_TEST.package", "0.1")] == ["PYSEC-0000-1"]
    assert advisories.files == 3  # the withdrawn advisory is not counted
    assert advisories.affecting("vf-osv-test-package", "0.1")[0].fixed == ("1.5", "2.3.1")
    assert advisories.newest() == "2026-07-02T00:00:00Z"  # the crates.io advisory does not count


def _audit(root, *args):
    command = [sys.executable, REPO_TOOL, *(str(a) for a in args)]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)


def test_audit_fails_on_an_advisory_of_the_folder_even_when_pypi_cannot_say(tmp_path, advisories, root):
    req = tmp_path / "requirements.txt"
    req.write_text(f"{PACKAGE}==2.1\n")
    run = _audit(root, "--osv", advisories.root, req)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"VULNERABLE {PACKAGE}==2.1: PYSEC-0000-1" in run.stdout
    assert "all 1 pins audited against it, 1 vulnerable" in run.stdout

    req.write_text(f"{PACKAGE}==2.4\n")
    run = _audit(root, "--osv", advisories.root, req)
    assert run.returncode == 3, run.stdout + run.stderr  # audited by the folder; the live lookup failed
    assert "VULNERABLE" not in run.stdout
    assert f"LOOKUP FAILED {PACKAGE}==2.4" in run.stdout


def test_an_accepted_advisory_passes_on_its_own_pin_only(tmp_path, advisories, root):
    accept = tmp_path / "accepted.txt"
    accept.write_text(f"# header\nPYSEC-0000-1 {PACKAGE}==2.1  # why\n")
    req = tmp_path / "requirements.txt"

    req.write_text(f"{PACKAGE}==2.1\n")
    run = _audit(root, "--osv", advisories.root, "--accept", accept, req)
    assert run.returncode == 3, run.stdout + run.stderr  # accepted; only the live lookup failed
    assert f"ACCEPTED {PACKAGE}==2.1: PYSEC-0000-1" in run.stdout

    req.write_text(f"{PACKAGE}==2.2\n")
    run = _audit(root, "--osv", advisories.root, "--accept", accept, req)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"VULNERABLE {PACKAGE}==2.2: PYSEC-0000-1" in run.stdout


def test_the_accepted_advisories_file_of_the_repository_parses(root):
    from tools.audit_pins import accepted

    lines = [
        line
        for line in (root / "audit" / "accepted-advisories.txt").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    assert len(accepted(root / "audit" / "accepted-advisories.txt")) == len(lines) >= 1
