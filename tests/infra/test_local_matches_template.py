"""The embedded engine deploys what template.yaml declares: same handlers, same ASL inputs."""

from cfnlint.decode import decode_str

from vforensics.local.deployment import FUNCTIONS, LocalResources, substitutions


def _template(root):
    template, matches = decode_str((root / "template.yaml").read_text())
    assert not matches, matches
    return template


def test_every_function_has_the_same_code_and_handler(root):
    resources = _template(root)["Resources"]
    declared = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    local = {f.logical_id: f for f in FUNCTIONS}
    assert set(declared) == set(local)
    for name, props in declared.items():
        assert props["CodeUri"].rstrip("/") == local[name].code_uri
        assert props["Handler"] == local[name].handler
        assert (root / local[name].code_uri / "app.py").is_file()


def test_the_state_machine_gets_the_same_substitution_keys(root):
    resources = _template(root)["Resources"]
    machine = next(r["Properties"] for r in resources.values() if r["Type"] == "AWS::Serverless::StateMachine")
    assert set(machine["DefinitionSubstitutions"]) == set(substitutions(LocalResources()))
    assert machine["DefinitionUri"] == "statemachine/analysis.asl.json"
