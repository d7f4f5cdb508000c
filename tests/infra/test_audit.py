"""`make audit` stays what docs/SECURITY.md says: pinned tools, a justified skip list, a strict dependency audit."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CHECK_ID = re.compile(r"CKV2?_AWS_\d+")


def _skipped() -> list[str]:
    config = yaml.safe_load((REPO / ".checkov.yaml").read_text())
    return list(config.get("skip-check", []))


def _accepted_in_docs() -> dict[str, str]:
    """Check id -> justification, from the table under "Accepted checkov findings"."""
    text = (REPO / "docs" / "SECURITY.md").read_text()
    section = text.split("#### Accepted checkov findings", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(CKV2?_AWS_\d+)` \| (.*?) \|$", section, re.M)
    return dict(rows)


def test_every_skipped_check_is_justified_in_security_md_and_nothing_else_is_listed():
    skipped = _skipped()
    assert skipped and all(CHECK_ID.fullmatch(c) for c in skipped), skipped
    assert len(skipped) == len(set(skipped))
    accepted = _accepted_in_docs()
    assert set(accepted) == set(skipped)
    for check, why in accepted.items():
        assert len(why.split()) >= 8, f"{check}: say why it is accepted"


def test_checkov_runs_on_the_template_as_cloudformation():
    config = yaml.safe_load((REPO / ".checkov.yaml").read_text())
    assert config["framework"] == ["cloudformation"]
    assert config["file"] == ["template.yaml"]
    assert "soft-fail" not in config and "soft-fail-on" not in config  # the audit must be able to fail


def test_audit_tools_are_fully_pinned():
    for tool in ("checkov", "pip-audit"):
        lines = [
            line
            for line in (REPO / "audit" / f"requirements-{tool}.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line) for line in lines), tool
        assert any(line.lower().replace("_", "-").startswith(f"{tool}==") for line in lines), tool


def test_make_audit_audits_every_pinned_requirements_file_strictly():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^audit: audit-template audit-deps$", makefile, re.M)
    recipe = makefile.split("\naudit-deps:", 1)[1].split("\n\n", 1)[0]
    assert "--strict" in recipe  # else a service it cannot reach passes as "no known vulnerabilities"
    assert "NOT PERFORMED" in recipe and "AUDIT_DEPS_REQUIRED" in recipe  # never a silent pass
    listed = re.search(r"^AUDITED_REQUIREMENTS := (.*?)(?<!\\)$", makefile, re.M | re.S)
    assert listed
    audited = set(listed.group(1).replace("\\\n", " ").split())
    shipped = {"requirements.txt", "layers/vforensics/requirements.txt", "functions/model/requirements.txt"}
    shipped |= {str(p.relative_to(REPO)) for p in REPO.glob("layers/*/requirements*.txt")}
    shipped |= {str(p.relative_to(REPO)) for p in REPO.glob("functions/*/requirements.txt")}
    assert shipped <= audited
    assert all((REPO / f).is_file() for f in audited)


def test_ci_runs_the_audit_before_the_tests():
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    audit = next(i for i, line in enumerate(lines) if line.startswith("make audit"))
    test = lines.index("make test")
    assert audit < test
    assert lines[-1] == 'exit "$audit"'  # a failed audit still fails CI
