"""The embedded engine deploys what template.yaml declares: same handlers, same ASL inputs."""

from cfnlint.decode import decode_str

from vforensics.local.deployment import (
    BATCH_FUNCTIONS,
    BATCH_STATE_MACHINE_FILE,
    EVENT_FUNCTIONS,
    FUNCTIONS,
    HTTP_FUNCTIONS,
    STATE_MACHINE_FILE,
    BatchSettings,
    LocalResources,
    batch_substitutions,
    substitutions,
)


def _template(root):
    template, matches = decode_str((root / "template.yaml").read_text())
    assert not matches, matches
    return template


def test_every_function_has_the_same_code_and_handler(root):
    resources = _template(root)["Resources"]
    declared = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    local = {f.logical_id: f for f in (*FUNCTIONS, *EVENT_FUNCTIONS, *HTTP_FUNCTIONS, *BATCH_FUNCTIONS)}
    assert len(local) == len(FUNCTIONS) + len(EVENT_FUNCTIONS) + len(HTTP_FUNCTIONS) + len(BATCH_FUNCTIONS)
    assert set(declared) == set(local)
    for name, props in declared.items():
        assert (root / local[name].code_uri / "app.py").is_file()
        if props.get("PackageType") == "Image":
            _assert_image_runs(root, resources[name], local[name])
            continue
        assert props["CodeUri"].rstrip("/") == local[name].code_uri
        assert props["Handler"] == local[name].handler


def _assert_image_runs(root, resource, spec):
    """A container function's image holds the local handler file and is started with its handler."""
    dockerfile = (root / resource["Metadata"]["Dockerfile"]).read_text()
    assert resource["Metadata"]["DockerContext"] == "."
    assert f"COPY {spec.code_uri}/app.py ${{LAMBDA_TASK_ROOT}}/app.py" in dockerfile
    assert f'CMD ["{spec.handler}"]' in dockerfile
    assert resource["Properties"]["ImageConfig"]["Command"] == [spec.handler]
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"


def test_the_state_machines_get_the_same_substitution_keys(root):
    resources = _template(root)["Resources"]
    machines = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Serverless::StateMachine"}
    assert set(machines) == {"AnalysisStateMachine", "BatchStateMachine"}
    analysis, batch = machines["AnalysisStateMachine"], machines["BatchStateMachine"]
    assert set(analysis["DefinitionSubstitutions"]) == set(substitutions(LocalResources()))
    assert analysis["DefinitionUri"] == STATE_MACHINE_FILE
    assert set(batch["DefinitionSubstitutions"]) == set(batch_substitutions("arn", BatchSettings()))
    assert batch["DefinitionUri"] == BATCH_STATE_MACHINE_FILE
    assert batch["DefinitionSubstitutions"]["AnalysisStateMachineArn"] == {"Ref": "AnalysisStateMachine"}
