"""The analyzer registry is the one list: every generated file follows it, and nothing else names an analyzer."""

import dataclasses
import json
import re

from cfnlint.decode import decode_str

from tests.infra.test_template import PLACEHOLDER, _fake_value, _run, _tool
from tools import generate_deployment
from vforensics.analyzers import ANALYZERS, registry
from vforensics.local.deployment import BATCH_FUNCTIONS, EVENT_FUNCTIONS, FUNCTIONS, HTTP_FUNCTIONS


def test_generated_files_are_up_to_date():
    files, stale = generate_deployment.planned()
    outdated = [str(p) for p, text in files.items() if not p.is_file() or p.read_text() != text]
    assert not outdated and not stale, (
        f"out of date: {outdated + [str(p) for p in stale]}; run .venv/bin/python tools/generate_deployment.py"
    )


def test_template_state_machine_and_events_name_only_registered_analyzers(root):
    names = set(registry.SPECS)
    template, matches = decode_str((root / "template.yaml").read_text())
    assert not matches, matches
    functions = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert {k for k in functions if k.startswith("Analyzer")} == {s.logical_id for s in registry.ANALYZER_SPECS}
    asl = json.loads((root / "statemachine" / "analysis.asl.json").read_text())
    branches = asl["States"]["Analyze"]["Branches"]
    assert [b["States"][b["StartAt"]]["Parameters"]["analyzer"] for b in branches] == list(registry.SPECS)
    assert {p.stem.removeprefix("analyzer-") for p in (root / "events").glob("analyzer-*.json")} == names
    assert {f.logical_id for f in (*FUNCTIONS, *EVENT_FUNCTIONS, *HTTP_FUNCTIONS, *BATCH_FUNCTIONS)} == functions
    assert set(ANALYZERS) == names


def test_every_registered_analyzer_loads_and_names_itself():
    for spec in registry.ANALYZER_SPECS:
        module = __import__(spec.module, fromlist=["NAME"])
        assert module.NAME == spec.name
        assert callable(spec.load())
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name)
        assert (spec.package == "image") == (spec.image is not None) and (spec.package == "image") == (not spec.layers)


def test_a_second_media_kind_becomes_a_choice_with_one_parallel_state_per_kind(root, tmp_path):
    """The video issue's shape: a registry entry for another kind, and the generator does the rest."""
    video = dataclasses.replace(
        registry.SPECS["metadata"], name="temporal", module="vforensics.analyzers.ela", kinds=("video",)
    )
    both = dataclasses.replace(registry.SPECS["metadata"], kinds=("image", "video"))
    specs = [both, *registry.ANALYZER_SPECS[1:], video]
    current = json.loads((root / "statemachine" / "analysis.asl.json").read_text())
    text = generate_deployment.render_asl(current, specs)
    states = json.loads(text)["States"]
    choice = states["Analyze"]
    assert choice["Type"] == "Choice"
    assert [c["Next"] for c in choice["Choices"]] == ["AnalyzeImage", "AnalyzeVideo"]
    assert states[choice["Default"]]["Next"] == "RecordFailure"

    def analyzers(state):
        return [b["States"][b["StartAt"]]["Parameters"]["analyzer"] for b in states[state]["Branches"]]

    assert analyzers("AnalyzeImage") == list(registry.SPECS)
    assert analyzers("AnalyzeVideo") == ["metadata", "temporal"]
    assert states["Prepare"]["Next"] == "Analyze" and states["AnalyzeVideo"]["Next"] == "Aggregate"
    # rendering again from the generated file gives the same file (the generator owns its states)
    assert generate_deployment.render_asl(json.loads(text), specs) == text
    assert (
        generate_deployment.render_asl(json.loads(text), registry.ANALYZER_SPECS)
        == (root / "statemachine" / "analysis.asl.json").read_text()
    )
    target = tmp_path / "two-kinds.asl.json"
    target.write_text(PLACEHOLDER.sub(lambda m: _fake_value(m.group(1)), text))
    result = _run([_tool("statelint"), str(target)], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    template = generate_deployment.render_template((root / "template.yaml").read_text(), specs)
    assert "AnalyzerTemporalFunction:" in template and "FunctionName: !Ref AnalyzerTemporalFunction" in template
