"""Least privilege: each role the stack creates may do what its code does, and nothing else.

template.yaml goes through the SAM transform (as cfn-lint and CloudFormation run it), so SAM's
policy templates are checked as what they expand to. A small evaluator then asks of each role
"may it do ACTION on RESOURCE?", matching IAM wildcards, for the keys layout.py names: every
analyzer writes only its own result and images, Aggregate only the report, nobody deletes or
reconfigures a bucket, and DynamoDB actions are exactly those the code and the ASL call.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str
from cfnlint.template.transforms._sam import Transform

from tools import generate_deployment
from vforensics.analyzers import registry
from vforensics.pipeline import layout, moderation

REPO = Path(__file__).resolve().parents[2]
REGION, ACCOUNT = "us-east-1", "123456789012"
NAMES = {
    "UploadsBucket": "vf-uploads",
    "ResultsBucket": "vf-results",
    "AnalysesTable": "vf-analyses",
    "RequestsTable": "vf-requests",
}
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "vf-stack",
}
UPLOADS, RESULTS = f"arn:aws:s3:::{NAMES['UploadsBucket']}", f"arn:aws:s3:::{NAMES['ResultsBucket']}"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{NAMES['AnalysesTable']}"
REQUESTS = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{NAMES['RequestsTable']}"
AID = "0f" * 32  # an analysis id
# The managed policies SAM attaches: CloudWatch Logs for the function's own logs, X-Ray.
ALLOWED_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
# What "IAM policies for logging to CloudWatch Logs" (Step Functions developer guide) requires,
# on "*": these CloudWatch Logs APIs take no resource ARN.
LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
DESTRUCTIVE = [
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectAcl",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:DeleteBucket",
]


# --------------------------------------------------------------------------- the evaluator


@cache
def _transformed() -> dict[str, Any]:
    template, matches = decode_str((REPO / "template.yaml").read_text())
    assert not matches, [str(m) for m in matches]
    transform = Transform("template.yaml", copy.deepcopy(template), REGION)
    errors = transform.transform_template()
    assert not errors, [str(e) for e in errors]
    return json.loads(json.dumps(transform.template(), default=str))


#: parameter values the roles are evaluated with (the template's defaults, unless a test deploys others)
_PARAMETERS: dict[str, Any] = {}
_NO_VALUE = object()


@contextmanager
def deployed_with(**parameters: Any) -> Iterator[None]:
    """Evaluate roles, ``Fn::If`` and resource conditions as deployed with these parameter values."""
    saved = dict(_PARAMETERS)
    _PARAMETERS.update(parameters)
    try:
        yield
    finally:
        _PARAMETERS.clear()
        _PARAMETERS.update(saved)


def _parameter(name: str) -> Any:
    if name in _PARAMETERS:
        return _PARAMETERS[name]
    return _transformed()["Parameters"][name].get("Default")


def _condition(name: str) -> bool:
    """A template condition under the parameters above (Equals, Not, And, Or, Condition)."""

    def value(v: Any) -> Any:
        if isinstance(v, dict) and "Ref" in v:
            return _parameter(v["Ref"])
        if isinstance(v, dict) and "Fn::Join" in v:
            sep, parts = v["Fn::Join"]
            joined = value(parts)
            return sep.join(joined if isinstance(joined, list) else str(joined).split(","))
        return v

    def holds(c: Any) -> bool:
        if "Condition" in c:
            return _condition(c["Condition"])
        if "Fn::Equals" in c:
            a, b = (value(x) for x in c["Fn::Equals"])
            return str(a) == str(b)
        if "Fn::Not" in c:
            return not holds(c["Fn::Not"][0])
        if "Fn::And" in c:
            return all(holds(x) for x in c["Fn::And"])
        if "Fn::Or" in c:
            return any(holds(x) for x in c["Fn::Or"])
        raise AssertionError(f"a condition uses {sorted(c)}: evaluate it")

    return holds(_transformed()["Conditions"][name])


def _ref(name: str) -> str:
    if name in PSEUDO:
        return PSEUDO[name]
    if name in _transformed().get("Parameters", {}):
        return str(_parameter(name))
    return NAMES.get(name, f"vf-{name}")


def _get_att(name: str, attr: str) -> str:
    if attr != "Arn":
        return f"vf-{name}-{attr}"
    kind = _transformed()["Resources"][name]["Type"]
    if kind == "AWS::S3::Bucket":
        return f"arn:aws:s3:::{_ref(name)}"
    if kind == "AWS::DynamoDB::Table":
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{_ref(name)}"
    return f"arn:aws:{kind.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{_ref(name)}"


def _resolve(value: Any, local: dict[str, str] | None = None) -> Any:
    """Strings for the intrinsic functions a policy uses (Ref, GetAtt, Sub, Join)."""
    if isinstance(value, list):
        return [r for r in (_resolve(v, local) for v in value) if r is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    if "Fn::If" in value:
        name, then, otherwise = value["Fn::If"]
        return _resolve(then if _condition(name) else otherwise, local)
    if "Ref" in value:
        return _ref(value["Ref"])
    if "Fn::GetAtt" in value:
        name, attr = value["Fn::GetAtt"] if isinstance(value["Fn::GetAtt"], list) else value["Fn::GetAtt"].split(".")
        return _get_att(name, attr)
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_resolve(parts, local))
    if "Fn::Sub" in value:
        arg = value["Fn::Sub"]
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        env = {k: _resolve(v) for k, v in variables.items()}

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in env:
                return env[name]
            if "." in name and name not in PSEUDO:
                return _get_att(*name.split(".", 1))
            return _ref(name)

        return re.sub(r"\$\{([A-Za-z0-9:._]+)\}", sub, text)
    raise AssertionError(f"an IAM policy uses {sorted(value)}: evaluate it or keep policies unconditional")


def _chosen(value: Any) -> Any:
    """The branch an ``Fn::If`` takes under the current parameters (``_NO_VALUE`` for AWS::NoValue)."""
    while isinstance(value, dict) and "Fn::If" in value:
        name, then, otherwise = value["Fn::If"]
        value = then if _condition(name) else otherwise
    return _NO_VALUE if value == {"Ref": "AWS::NoValue"} else value


def _roles() -> dict[str, dict[str, Any]]:
    """The roles the stack has when deployed with the current parameters."""
    return {
        k: r["Properties"]
        for k, r in _transformed()["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and ("Condition" not in r or _condition(r["Condition"]))
    }


def _statements(role: str) -> list[dict[str, Any]]:
    props = _roles()[role]
    assert set(props.get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED, f"{role}: {props.get('ManagedPolicyArns')}"
    out = []
    for policy in props.get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        statements = [_chosen(s) for s in (statements if isinstance(statements, list) else [statements])]
        for s in (s for s in statements if s is not _NO_VALUE):
            assert s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s, s
            actions, resources = s["Action"], _resolve(s["Resource"])
            out.append(
                {
                    "actions": [actions] if isinstance(actions, str) else actions,
                    "resources": [resources] if isinstance(resources, str) else resources,
                    "condition": s.get("Condition"),
                }
            )
    return out


def _match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: * is any run of characters (``/`` included), ? one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.I if ignore_case else 0) is not None


def allowed(role: str, action: str, resource: str) -> bool:
    return any(
        any(_match(a, action, ignore_case=True) for a in s["actions"])
        and any(_match(r, resource) for r in s["resources"])
        for s in _statements(role)
    )


def _actions_on(role: str, resource: str, service: str) -> set[str]:
    return {
        a
        for s in _statements(role)
        if any(_match(r, resource) for r in s["resources"])
        for a in s["actions"]
        if a.startswith(service + ":")
    }


def _function_roles() -> dict[str, str]:
    """Function logical id -> its role's logical id."""
    return {
        k: r["Properties"]["Role"]["Fn::GetAtt"][0]
        for k, r in _transformed()["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }


def _role_of(function: str) -> str:
    return _function_roles()[function]


def _machine_role(logical_id: str = "AnalysisStateMachine") -> str:
    machine = _transformed()["Resources"][logical_id]
    assert machine["Type"] == "AWS::StepFunctions::StateMachine", logical_id
    return machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]


def _machine_roles() -> set[str]:
    return {
        r["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        for r in _transformed()["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    }


# --------------------------------------------------------------------------- the keys layout.py names


def _obj(key: str) -> str:
    return f"{RESULTS}/{key}"


def analyzer_outputs(name: str) -> list[str]:
    """Every key analyzer ``name`` writes for one analysis: result, maps, heatmaps, a view."""
    prefix = layout.analysis_prefix(AID)
    maps = [name, *generate_deployment.EXTRA_MAPS.get(name, ())]
    return [
        layout.result_key(AID, name),
        *(prefix + layout.map_name(m) for m in maps),
        *(prefix + layout.heatmap_name(m) for m in maps),
        prefix + layout.view_name(name, "edges"),
    ]


def aggregate_outputs() -> list[str]:
    prefix = layout.analysis_prefix(AID)
    return [
        prefix + layout.REPORT,
        prefix + layout.ZIP,
        prefix + layout.map_name("combined"),
        prefix + layout.heatmap_name("combined"),
    ]


# --------------------------------------------------------------------------- tests


def test_the_evaluator_sees_sam_policy_templates_as_what_they_grant():
    """Guards the guard: a role with S3WritePolicy on the bucket may put anywhere and expire it."""
    text = (REPO / "template.yaml").read_text()
    start = text.index("  AggregateFunction:\n")
    grant = "      Policies:\n        - S3WritePolicy:\n            BucketName: !Ref ResultsBucket\n"
    probe = text[:start] + text[start:].replace("      Policies:\n", grant, 1)
    template, _ = decode_str(probe)
    transform = Transform("template.yaml", copy.deepcopy(template), REGION)
    assert not transform.transform_template()
    statements = [
        s
        for p in transform.template()["Resources"]["AggregateFunctionRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    granted = {a for s in statements for a in s["Action"]}
    assert {"s3:PutObject", "s3:PutLifecycleConfiguration"} <= granted
    assert _match("arn:aws:s3:::b/work/*/noise.json", "arn:aws:s3:::b/work/x/noise.json")
    assert not _match("arn:aws:s3:::b/work/*/noise.json", "arn:aws:s3:::b/work/x/ai_noise.json")


def test_each_analyzer_writes_only_its_own_result_and_images():
    outputs = {spec.name: analyzer_outputs(spec.name) for spec in registry.ANALYZER_SPECS}
    for spec in registry.ANALYZER_SPECS:
        role = _role_of(spec.logical_id)
        for key in outputs[spec.name]:
            assert allowed(role, "s3:PutObject", _obj(key)), f"{spec.name} cannot write its own {key}"
        others = [k for name, keys in outputs.items() if name != spec.name for k in keys] + aggregate_outputs()
        for key in others:
            assert not allowed(role, "s3:PutObject", _obj(key)), f"{spec.name} may overwrite {key}"
        assert not allowed(role, "s3:PutObject", f"{UPLOADS}/photo.jpg"), spec.name


def test_analyzers_read_the_upload_and_nothing_in_the_results_bucket():
    for spec in registry.ANALYZER_SPECS:
        role = _role_of(spec.logical_id)
        assert allowed(role, "s3:GetObject", f"{UPLOADS}/any/photo.jpg"), spec.name
        for key in analyzer_outputs(spec.name) + aggregate_outputs():
            assert not allowed(role, "s3:GetObject", _obj(key)), f"{spec.name} may read {key}"
        assert not allowed(role, "s3:ListBucket", RESULTS), spec.name


def test_aggregate_reads_the_analyses_and_writes_only_the_report_and_combined_maps():
    role = _role_of("AggregateFunction")
    assert allowed(role, "s3:GetObject", f"{UPLOADS}/any/photo.jpg")
    for spec in registry.ANALYZER_SPECS:
        for key in analyzer_outputs(spec.name):
            assert allowed(role, "s3:GetObject", _obj(key)), f"Aggregate cannot read {key}"
            assert not allowed(role, "s3:PutObject", _obj(key)), f"Aggregate may overwrite {key}"
    for key in aggregate_outputs():
        assert allowed(role, "s3:PutObject", _obj(key)), f"Aggregate cannot write {key}"
    assert not allowed(role, "s3:PutObject", _obj("elsewhere/report.json"))


def test_prepare_only_reads_the_upload():
    role = _role_of("PrepareFunction")
    assert allowed(role, "s3:GetObject", f"{UPLOADS}/any/photo.jpg")
    # s3:ListBucket: a missing upload is then NoSuchKey (rejected as NOT_FOUND), not AccessDenied
    assert allowed(role, "s3:ListBucket", UPLOADS)
    assert _actions_on(role, _obj("work/x/ela.json"), "s3") == set()
    assert _actions_on(role, TABLE, "dynamodb") == set()


def test_the_api_signs_uploads_under_its_prefix_and_reads_only_reports():
    role = _role_of("ApiFunction")
    upload = f"{UPLOADS}/{layout.upload_key('A' * 22, 'photo.jpg')}"
    assert allowed(role, "s3:PutObject", upload) and allowed(role, "s3:GetObject", upload)
    assert not allowed(role, "s3:PutObject", f"{UPLOADS}/direct/photo.jpg")
    assert not allowed(role, "s3:GetObject", f"{UPLOADS}/direct/photo.jpg")
    prefix = layout.analysis_prefix(AID)
    for key in (prefix + layout.REPORT, prefix + layout.ZIP, prefix + layout.heatmap_name("ela")):
        assert allowed(role, "s3:GetObject", _obj(key)), key
    for key in [*aggregate_outputs(), *analyzer_outputs("ela")]:
        assert not allowed(role, "s3:PutObject", _obj(key)), key
    assert not allowed(role, "s3:GetObject", _obj(layout.result_key(AID, "ela")))
    # listing only tells a missing upload or batch status (404) from a forbidden one (403)
    assert allowed(role, "s3:ListBucket", RESULTS) and allowed(role, "s3:ListBucket", UPLOADS)
    batch = "0" * 32
    assert allowed(role, "s3:PutObject", _obj(layout.batch_manifest_key(batch)))
    for key in (layout.batch_status_key(batch), layout.batch_summary_key(batch), layout.batch_zip_key(batch)):
        assert allowed(role, "s3:GetObject", _obj(key)) and not allowed(role, "s3:PutObject", _obj(key)), key
    machines = {
        (a, r) for s in _statements(role) for a in s["actions"] if a.startswith("states:") for r in s["resources"]
    }
    assert machines == {("states:StartExecution", _ref("BatchStateMachine"))}


def test_no_role_may_delete_or_reconfigure_a_bucket():
    for role in _roles():
        for action in DESTRUCTIVE:
            for resource in (UPLOADS, RESULTS, f"{UPLOADS}/k", _obj(layout.result_key(AID, "ela"))):
                assert not allowed(role, action, resource), f"{role} may {action} {resource}"
        assert not allowed(role, "s3:PutObject", f"{UPLOADS}/k"), role


def _is_client(node: ast.AST, service: str) -> bool:
    """``client("<service>")`` or ``aws.client("<service>")``."""
    return (
        isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == "client" or getattr(node.func, "attr", None) == "client")
        and [getattr(a, "value", None) for a in node.args] == [service]
    )


def _calls_in_code(path: Path, service: str) -> set[str]:
    """``client("dynamodb").update_item(`` (also through a name bound to the client, and split
    over lines) -> ``dynamodb:UpdateItem``."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            pairs = [(node.targets[0], node.value)]
            if isinstance(node.targets[0], ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(node.targets[0].elts, node.value.elts, strict=False))
            names |= {t.id for t, v in pairs if isinstance(t, ast.Name) and _is_client(v, service)}
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (
            _is_client(node.func.value, service)
            or (isinstance(node.func.value, ast.Name) and node.func.value.id in names)
        )
    }
    prefix = {"stepfunctions": "states"}.get(service, service)
    return {prefix + ":" + "".join(p.title() for p in c.split("_")) for c in calls}


def _dynamodb_calls_in_code(path: Path) -> set[str]:
    return _calls_in_code(path, "dynamodb")


def _dynamodb_calls_in_asl() -> set[str]:
    text = (REPO / "statemachine" / "analysis.asl.json").read_text()
    return {"dynamodb:" + a[0].upper() + a[1:] for a in re.findall(r"arn:aws:states:::dynamodb:(\w+)", text)}


def test_table_writers_get_exactly_the_item_actions_they_call():
    pipeline = REPO / "layers" / "vforensics" / "vforensics" / "pipeline"
    api = REPO / "layers" / "vforensics" / "vforensics" / "api"
    wanted = {
        _role_of("AggregateFunction"): _dynamodb_calls_in_code(pipeline / "aggregate.py"),
        _role_of("ExecutionFailedFunction"): _dynamodb_calls_in_code(pipeline / "execution_failed.py"),
        _machine_role(): _dynamodb_calls_in_asl(),
        _role_of("ApiFunction"): _dynamodb_calls_in_code(api / "status.py"),
        _role_of("BatchSummaryFunction"): _dynamodb_calls_in_code(pipeline / "batches.py"),
    }
    wanted_on_requests = {_role_of("ApiFunction"): _dynamodb_calls_in_code(api / "ownership.py")}
    others = set(api.glob("*.py")) - {api / "status.py", api / "ownership.py"}
    assert not set().union(*map(_dynamodb_calls_in_code, others))  # status reads records, ownership its own
    assert wanted[_role_of("ApiFunction")] == {"dynamodb:GetItem"}
    assert wanted_on_requests[_role_of("ApiFunction")] == {"dynamodb:GetItem", "dynamodb:PutItem"}
    # the scans above still find them
    assert wanted[_role_of("BatchSummaryFunction")] == {"dynamodb:BatchGetItem"}
    assert wanted[_role_of("AggregateFunction")] == {"dynamodb:UpdateItem"}
    assert wanted[_role_of("ExecutionFailedFunction")] == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert wanted[_machine_role()] == {"dynamodb:UpdateItem"}
    for role in _roles():
        assert _actions_on(role, TABLE, "dynamodb") == wanted.get(role, set()), role
        assert _actions_on(role, REQUESTS, "dynamodb") == wanted_on_requests.get(role, set()), role
        for action in ("dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan", "dynamodb:DeleteTable"):
            assert not allowed(role, action, TABLE), f"{role} may {action}"
            assert not allowed(role, action, REQUESTS), f"{role} may {action} on the requests table"


def test_the_scan_finds_client_calls_however_they_are_written(tmp_path: Path):
    """Guards the guard: a call through a bound client or split over lines is still found."""
    code = tmp_path / "probe.py"
    code.write_text(
        'table, ddb = "t", aws.client("dynamodb")\nddb.delete_item(Key={})\n'
        'aws.client("dynamodb")\\\n    .batch_write_item()\nclient("dynamodb").scan()\n'
        'client("s3").put_object()\nother.update_item()\n'
    )
    assert _dynamodb_calls_in_code(code) == {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"}


def test_execution_failed_describes_only_analysis_executions_and_announces_on_the_default_bus():
    pipeline = REPO / "layers" / "vforensics" / "vforensics" / "pipeline"
    role = _role_of("ExecutionFailedFunction")
    machine = _ref("AnalysisStateMachine") + "-Name"  # the evaluator's !GetAtt AnalysisStateMachine.Name
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:run-1"
    assert _calls_in_code(pipeline / "execution_failed.py", "stepfunctions") == {"states:DescribeExecution"}
    assert _actions_on(role, execution, "states") == {"states:DescribeExecution"}
    for other in (f"arn:aws:states:{REGION}:{ACCOUNT}:execution:other-machine:run-1", _ref("AnalysisStateMachine")):
        assert _actions_on(role, other, "states") == set(), other
    assert _calls_in_code(pipeline / "records.py", "events") == {"events:PutEvents"}
    assert allowed(role, "events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")
    assert not allowed(role, "events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/other")
    for key in (f"{UPLOADS}/photo.jpg", _obj(layout.result_key(AID, "ela")), _obj("analyses/x/report.json")):
        assert _actions_on(role, key, "s3") == set(), key


def test_resource_star_only_for_the_documented_log_delivery_apis():
    for role in _roles():
        for s in _statements(role):
            if "*" in s["resources"]:
                assert role in _machine_roles(), f"{role}: {s['actions']} on *"
                assert set(s["actions"]) == LOG_DELIVERY, s["actions"]
    assert len(_machine_roles()) == 2
    for role in _machine_roles():
        starred = [s for s in _statements(role) if "*" in s["resources"]]
        assert len(starred) == 1, role  # Step Functions cannot log without it


def test_extra_maps_the_analyzers_write_are_in_the_generator():
    """An analyzer's second map (``extra_maps``) needs its own PutObject grant: names found in the
    analyzers' code must be listed in tools/generate_deployment.py EXTRA_MAPS."""
    package = REPO / "layers" / "vforensics" / "vforensics" / "analyzers"
    found: dict[str, set[str]] = {}
    for spec in registry.ANALYZER_SPECS:
        module = package.joinpath(*spec.module.split(".")[2:])
        files = sorted(module.rglob("*.py")) if module.is_dir() else [module.with_suffix(".py")]
        text = "\n".join(p.read_text() for p in files)
        names = set(re.findall(r'\bextra(?:_maps)?\[\s*"(\w+)"\s*\]\s*=', text))
        for literal in re.findall(r"\bextra(?:_maps)?\s*=\s*\{([^}]*)\}", text):
            names |= set(re.findall(r'"(\w+)"\s*:', literal))
        if names:
            found[spec.name] = names
    assert found, "the scan found no extra map (jpeg_ghost, thumbnail_difference): fix the scan"
    assert {k: set(v) for k, v in generate_deployment.EXTRA_MAPS.items()} == found


# --------------------------------------------------------------------------- the moderation hook

MODERATION_ON = {"ModerationQueue": "Enabled", "TagUploads": "true", "QuarantinePrefix": "quarantine/"}
#: the IAM actions each S3 call of pipeline/moderation.py needs (CopyObject: read the source, write the copy)
S3_CALL_GRANTS = {
    "s3:HeadObject": {"s3:GetObject"},
    "s3:GetObjectTagging": {"s3:GetObjectTagging"},
    "s3:PutObjectTagging": {"s3:PutObjectTagging"},
    "s3:CopyObject": {"s3:GetObject", "s3:PutObject"},
}


def test_the_moderation_function_and_its_role_exist_only_when_enabled():
    assert "ModerationFunctionRole" not in _roles()  # the defaults: existing deployments do not change
    with deployed_with(ModerationQueue="Enabled"):  # the queue alone needs no function
        assert "ModerationFunctionRole" not in _roles()
    for parameters in ({"TagUploads": "true"}, {"QuarantinePrefix": "q/"}):
        with deployed_with(**parameters):
            assert "ModerationFunctionRole" in _roles(), parameters


def test_moderation_reads_and_tags_uploads_and_writes_only_under_the_quarantine_prefix():
    code = REPO / "layers" / "vforensics" / "vforensics" / "pipeline" / "moderation.py"
    calls = _calls_in_code(code, "s3")
    assert calls == set(S3_CALL_GRANTS), calls  # a new S3 call needs its grant here and in the template
    with deployed_with(**MODERATION_ON):
        role = _role_of("ModerationFunction")
        upload = f"{UPLOADS}/any/photo.jpg"
        copy_key = moderation.quarantine_key("quarantine/", AID, "any/photo.jpg")
        assert copy_key.startswith("quarantine/")
        for action in ("s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"):
            assert allowed(role, action, upload), action
        assert allowed(role, "s3:PutObject", _obj(copy_key))
        assert _actions_on(role, upload, "s3") == {"s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"}
        assert _actions_on(role, _obj(copy_key), "s3") == {"s3:PutObject"}
        needed = set().union(*S3_CALL_GRANTS.values())
        assert {a for s in _statements(role) for a in s["actions"] if a.startswith("s3:")} == needed | {"s3:ListBucket"}
        assert allowed(role, "s3:ListBucket", UPLOADS) and not allowed(role, "s3:ListBucket", RESULTS)
        for key in [*aggregate_outputs(), *analyzer_outputs("ela"), "elsewhere/photo.jpg", "quarantine-other/x.jpg"]:
            assert _actions_on(role, _obj(key), "s3") == set(), key
        assert not allowed(role, "s3:PutObject", upload)
        assert _actions_on(role, TABLE, "dynamodb") == set()
        assert not allowed(role, "events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")
        sqs = {(a, r) for s in _statements(role) for a in s["actions"] if a.startswith("sqs:") for r in s["resources"]}
        assert sqs == {("sqs:SendMessage", _get_att("ModerationDeadLetterQueue", "Arn"))}  # its DLQ, nothing else


def test_moderation_gets_only_the_grants_of_the_actions_it_is_configured_for():
    upload = f"{UPLOADS}/any/photo.jpg"
    with deployed_with(TagUploads="true"):
        role = _role_of("ModerationFunction")
        assert allowed(role, "s3:PutObjectTagging", upload)
        assert not any(allowed(role, "s3:PutObject", _obj(k)) for k in ("quarantine/x/p.jpg", "x.jpg", "vf-x.jpg"))
    with deployed_with(QuarantinePrefix="held/"):
        role = _role_of("ModerationFunction")
        assert allowed(role, "s3:PutObject", _obj(moderation.quarantine_key("held/", AID, "p.jpg")))
        assert not allowed(role, "s3:PutObject", _obj("quarantine/x/p.jpg"))
        assert not allowed(role, "s3:PutObjectTagging", upload) and not allowed(role, "s3:GetObjectTagging", upload)


def test_the_stack_wide_checks_hold_with_the_moderation_hook_on():
    with deployed_with(**MODERATION_ON):
        assert "ModerationFunctionRole" in _roles()
        test_no_role_may_delete_or_reconfigure_a_bucket()
        test_resource_star_only_for_the_documented_log_delivery_apis()
        test_table_writers_get_exactly_the_item_actions_they_call()
        test_each_analyzer_writes_only_its_own_result_and_images()


# --------------------------------------------------------------------------- batches

BATCH = "b-1"
MANAGED_SYNC_RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"


def _batch_keys() -> dict[str, str]:
    return {
        "manifest": layout.batch_manifest_key(BATCH),
        "status": layout.batch_status_key(BATCH),
        "summary": layout.batch_summary_key(BATCH),
        "zip": layout.batch_zip_key(BATCH),
    }


def test_batch_summary_reads_records_and_reports_and_writes_only_the_batch_outputs():
    pipeline = REPO / "layers" / "vforensics" / "vforensics" / "pipeline"
    role = _role_of("BatchSummaryFunction")
    keys = _batch_keys()
    assert allowed(role, "s3:GetObject", _obj(keys["manifest"]))
    for key in (layout.analysis_prefix(AID) + layout.REPORT, layout.analysis_prefix(AID) + layout.ZIP):
        assert allowed(role, "s3:GetObject", _obj(key)), key
        assert not allowed(role, "s3:PutObject", _obj(key)), key
    for name in ("summary", "zip", "status"):
        assert allowed(role, "s3:PutObject", _obj(keys[name])), name
    assert allowed(role, "s3:AbortMultipartUpload", _obj(keys["zip"]))  # boto3 aborts a failed multipart upload
    assert not allowed(role, "s3:PutObject", _obj(keys["manifest"]))  # the caller's, never rewritten
    assert not allowed(role, "s3:PutObject", _obj("batches/b-1/other.json"))
    for key in (layout.result_key(AID, "ela"), layout.analysis_prefix(AID) + layout.map_name("ela")):
        assert _actions_on(role, _obj(key), "s3") == set(), key
    assert _actions_on(role, f"{UPLOADS}/photo.jpg", "s3") == set()
    assert _calls_in_code(pipeline / "batches.py", "stepfunctions") == {
        "states:StartExecution"
    }  # start_batch: the API's
    assert _actions_on(role, _ref("AnalysisStateMachine"), "states") == set()
    assert not any(a.startswith("events:") for s in _statements(role) for a in s["actions"])


def test_batch_machine_starts_and_watches_only_analyses_and_its_own_map_children():
    role = _machine_role("BatchStateMachine")
    analysis = _ref("AnalysisStateMachine")  # the evaluator's !Ref AnalysisStateMachine (its ARN)
    analysis_run = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{analysis}-Name:b-1-0"
    itself = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:vf-stack-batch"
    child = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:vf-stack-batch/BatchItems:1a2b"
    assert _actions_on(role, analysis, "states") == {"states:StartExecution"}
    assert _actions_on(role, analysis_run, "states") == {"states:DescribeExecution", "states:StopExecution"}
    assert _actions_on(role, itself, "states") == {"states:StartExecution"}
    assert _actions_on(role, child, "states") == {"states:DescribeExecution", "states:StopExecution"}
    for other in (
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:other",
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:other:run-1",
    ):
        assert _actions_on(role, other, "states") == set(), other
    assert _actions_on(role, MANAGED_SYNC_RULE, "events") == {
        "events:PutTargets",
        "events:PutRule",
        "events:DescribeRule",
    }
    assert _actions_on(role, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other", "events") == set()
    keys = _batch_keys()
    assert _actions_on(role, _obj(keys["manifest"]), "s3") == {"s3:GetObject"}
    assert _actions_on(role, _obj(keys["status"]), "s3") == {"s3:PutObject"}  # RecordRunning, RecordBatchFailure
    for key in (
        keys["summary"],
        keys["zip"],
        layout.analysis_prefix(AID) + layout.REPORT,
        layout.result_key(AID, "ela"),
    ):
        assert _actions_on(role, _obj(key), "s3") == set(), key
    assert _actions_on(role, f"{UPLOADS}/photo.jpg", "s3") == set()
    functions = {f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{_ref(f)}": f for f in _function_roles()}
    invocable = {name for arn, name in functions.items() if allowed(role, "lambda:InvokeFunction", arn)}
    assert invocable == {"BatchSummaryFunction"}


def test_the_batch_asl_uses_only_the_integrations_the_role_grants():
    """Every service integration of statemachine/batch.asl.json is one the role above is checked for."""
    text = (REPO / "statemachine" / "batch.asl.json").read_text()
    integrations = set(re.findall(r'"arn:aws:states:::([\w:.-]+)"', text))
    assert integrations == {"s3:getObject", "states:startExecution.sync:2", "aws-sdk:s3:putObject"}
