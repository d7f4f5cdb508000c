"""tools/audit_pins.py: which pins it reads, and that an advisory on an audited pin fails it."""

import json
import subprocess
import sys
import urllib.request

import pytest

from tools.audit_pins import pins

REPO_TOOL = "tools/audit_pins.py"


def test_pins_reads_exact_pins_and_drops_extras_markers_comments_and_options(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# comment\n-r other.txt\nMoto[server,s3]==5.2.5  # pinned\nnumpy==2.5.5 ; python_version >= '3.12'\n"
        "pillow>=11\nboto3 == 1.44.5\n"
    )
    assert pins([str(req)]) == [("boto3", "1.44.5"), ("moto", "5.2.5"), ("numpy", "2.5.5")]


def test_one_package_pinned_at_two_versions_in_two_files_is_two_pins(tmp_path):
    """The project's lock and the SAM CLI's own venv pin boto3 differently: each pin is audited."""
    (tmp_path / "a.txt").write_text("boto3==1.44.8\npydantic_core==2.50.5\n")
    (tmp_path / "b.txt").write_text("boto3==1.43.108\npydantic-core==2.50.5\n")
    assert pins([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]) == [
        ("boto3", "1.43.108"),
        ("boto3", "1.44.8"),
        ("pydantic-core", "2.50.5"),
    ]


def test_an_advisory_on_a_pin_at_its_latest_release_fails_the_audit(tmp_path, root):
    """ecdsa's latest releases carry the Minerva timing advisory (CVE-2024-23342), with no fix."""
    try:
        with urllib.request.urlopen("https://pypi.org/pypi/ecdsa/json", timeout=20) as answer:
            project = json.load(answer)
    except OSError:
        pytest.skip("PyPI's project JSON cannot be reached from here")
    if not project.get("vulnerabilities"):
        pytest.skip("ecdsa's latest release has no advisory any more: pick another example")
    req = tmp_path / "requirements.txt"
    req.write_text(f"ecdsa=={project['info']['version']}\necdsa-old-name-that-does-not-exist-vf==1.0\n")
    run = subprocess.run([sys.executable, REPO_TOOL, str(req)], cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout
    assert f"VULNERABLE ecdsa=={project['info']['version']}" in run.stdout
    assert "LOOKUP FAILED ecdsa-old-name-that-does-not-exist-vf==1.0" in run.stdout
