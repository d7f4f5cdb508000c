"""Operations in template.yaml: alarms, reserved concurrency, retention, versioning, CORS.

Read from the template as written (before the SAM transform), as the other template tests do.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from vforensics.analyzers import registry
from vforensics.pipeline.execution_failed import STOPPED
from vforensics.pipeline.moderation import EVENT_PATTERN, PREFIX_ENV, TAG_ENV, UPLOADS_ENV

REPO = Path(__file__).resolve().parents[2]
NO_VALUE = {"Ref": "AWS::NoValue"}
ALARM_ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], NO_VALUE]}


@cache
def _template() -> dict[str, Any]:
    template, matches = decode_str((REPO / "template.yaml").read_text())
    assert not matches, [str(m) for m in matches]
    return template


def _resources(type_: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in _template()["Resources"].items() if r["Type"] == type_}


def _alarms() -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in _resources("AWS::CloudWatch::Alarm").items()}


def _metrics(alarm: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(namespace, metric name, dimensions) of a plain or metric-math alarm."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], alarm.get("Dimensions", []))]
    found = []
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            m = query["MetricStat"]["Metric"]
            found.append((m["Namespace"], m["MetricName"], m.get("Dimensions", [])))
    return found


def _alarm_on(namespace: str, metric: str, dimension: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a for a in _alarms().values() if any(m[:2] == (namespace, metric) and dimension in m[2] for m in _metrics(a))
    ]


def _parameter(name: str) -> dict[str, Any]:
    return _template()["Parameters"][name]


def test_state_machine_alarms_cover_failed_timed_out_aborted_and_throttled_executions():
    machine = {"Name": "StateMachineArn", "Value": {"Ref": "AnalysisStateMachine"}}
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionThrottled"):
        (alarm,) = _alarm_on("AWS/States", metric, machine)
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Statistic"] == "Sum", metric
    (failed,) = _alarm_on("AWS/States", "ExecutionsFailed", machine)
    assert failed["Threshold"] == {"Ref": "FailedExecutionsThreshold"}


def _event_rules() -> dict[str, dict[str, Any]]:
    """SAM EventBridgeRule events of every function and state machine, by "<resource>.<event>"."""
    return {
        f"{name}.{event}": e["Properties"]
        for name, r in _template()["Resources"].items()
        for event, e in r.get("Properties", {}).get("Events", {}).items()
        if e["Type"] == "EventBridgeRule"
    }


def _dead_letter_queues() -> set[str]:
    """Queue logical ids the EventBridge rules park undelivered events in."""
    queues = set()
    for rule in _event_rules().values():
        config = rule["DeadLetterConfig"]
        queues.add(config.get("QueueLogicalId") or config["Arn"]["Fn::GetAtt"][0])
    return queues


def test_dead_letter_queue_alarm_fires_on_the_first_message():
    assert _dead_letter_queues() == {"UploadEventsDeadLetterQueue", "ExecutionFailedDeadLetterQueue"}
    for name in _dead_letter_queues():
        queue = {"Name": "QueueName", "Value": {"Fn::GetAtt": [name, "QueueName"]}}
        (alarm,) = _alarm_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue)
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold", name
    rule = _template()["Resources"]["AnalysisStateMachine"]["Properties"]["Events"]["UploadCreated"]["Properties"]
    assert rule["DeadLetterConfig"]["QueueLogicalId"] == "UploadEventsDeadLetterQueue"


def test_every_event_rule_retries_then_parks_undelivered_events():
    for name, rule in _event_rules().items():
        assert rule["RetryPolicy"]["MaximumRetryAttempts"] > 0, name
        assert "DeadLetterConfig" in rule, name


def test_stopped_analysis_executions_reach_execution_failed():
    resources = _template()["Resources"]
    function = resources["ExecutionFailedFunction"]["Properties"]
    rule = function["Events"]["ExecutionStopped"]["Properties"]
    assert rule["Pattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": list(STOPPED), "stateMachineArn": [{"Ref": "AnalysisStateMachine"}]},
    }
    queue = {"Fn::GetAtt": ["ExecutionFailedDeadLetterQueue", "Arn"]}
    assert rule["DeadLetterConfig"] == {"Arn": queue}
    assert function["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": queue}  # failed invocations too
    assert resources["ExecutionFailedDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    # An Arn (not a QueueLogicalId) gets no policy from SAM: only this rule may send to the queue.
    (policy,) = [
        r["Properties"]
        for r in _resources("AWS::SQS::QueuePolicy").values()
        if r["Properties"]["Queues"] == [{"Ref": "ExecutionFailedDeadLetterQueue"}]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    source = {"Fn::GetAtt": ["ExecutionFailedFunctionExecutionStopped", "Arn"]}  # SAM: <function><event>
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": source}}


def test_every_analyzer_has_an_error_rate_alarm_and_every_function_a_throttles_alarm():
    for name in _resources("AWS::Serverless::Function"):
        dimension = {"Name": "FunctionName", "Value": {"Ref": name}}
        assert len(_alarm_on("AWS/Lambda", "Throttles", dimension)) == 1, name
    for spec in registry.ANALYZER_SPECS:
        dimension = {"Name": "FunctionName", "Value": {"Ref": spec.logical_id}}
        (alarm,) = _alarm_on("AWS/Lambda", "Errors", dimension)
        assert _alarm_on("AWS/Lambda", "Invocations", dimension) == [alarm], spec.name  # a rate, not a count
        assert alarm["Threshold"] == {"Ref": "AnalyzerErrorRatePercent"}
        (rate,) = [q for q in alarm["Metrics"] if q.get("ReturnData")]
        assert "errors / invocations" in rate["Expression"], rate
    for name in ("AggregateFunction", "ExecutionFailedFunction"):  # any error loses a record's final state
        (alarm,) = _alarm_on("AWS/Lambda", "Errors", {"Name": "FunctionName", "Value": {"Ref": name}})
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold", name


def test_alarms_notify_the_topic_only_when_one_is_given():
    assert _parameter("AlarmTopicArn")["Default"] == ""
    assert _template()["Conditions"]["HasAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    alarms = _alarms()
    assert len(alarms) >= 4 + 2 + 2 * len(registry.ANALYZER_SPECS)
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == ALARM_ACTIONS, name
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_every_function_has_reserved_concurrency_unless_the_parameter_is_zero():
    reserved = {"Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, NO_VALUE]}
    assert _template()["Globals"]["Function"]["ReservedConcurrentExecutions"] == reserved
    assert _parameter("ReservedConcurrency")["Default"] > 0
    condition = _template()["Conditions"]["HasReservedConcurrency"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]}
    for name, fn in _resources("AWS::Serverless::Function").items():
        assert "ReservedConcurrentExecutions" not in fn["Properties"], f"{name} overrides the global setting"


def _rules(bucket: str) -> dict[str, dict[str, Any]]:
    rules = _template()["Resources"][bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
    return {r["Id"]: r for r in rules}


def test_results_are_versioned_and_expire_by_parameter():
    props = _template()["Resources"]["ResultsBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = [r for r in _rules("ResultsBucket").values() if r["Status"] == "Enabled"]
    by_prefix = {r.get("Prefix"): r for r in rules if "ExpirationInDays" in r}
    assert by_prefix["analyses/"]["ExpirationInDays"] == {"Ref": "ResultsRetentionDays"}
    assert by_prefix["work/"]["ExpirationInDays"] == 7
    assert by_prefix["batches/"]["ExpirationInDays"] == {"Ref": "ResultsRetentionDays"}  # manifests, zips
    assert _parameter("ResultsRetentionDays")["Default"] == 90
    noncurrent = [r for r in rules if "NoncurrentVersionExpiration" in r]
    assert noncurrent and all("Prefix" not in r for r in noncurrent), "old versions must expire bucket-wide"
    assert noncurrent[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == {"Ref": "NoncurrentVersionRetentionDays"}
    assert any(r.get("ExpiredObjectDeleteMarker") is True for r in rules)


def test_uploads_and_records_expire_by_parameter():
    (rule,) = [r for r in _rules("UploadsBucket").values() if "ExpirationInDays" in r]
    assert rule["ExpirationInDays"] == {"Ref": "UploadRetentionDays"} and "Prefix" not in rule
    assert _parameter("UploadRetentionDays")["Default"] == 30
    table = _template()["Resources"]["AnalysesTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    variables = _template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["VF_RECORD_RETENTION_DAYS"] == {"Ref": "RecordRetentionDays"}


def test_uploads_cors_allows_presigned_post_from_the_listed_origins_only():
    origins = _parameter("UploadAllowedOrigins")
    assert (origins["Type"], origins["Default"]) == ("CommaDelimitedList", "")
    cors = _template()["Resources"]["UploadsBucket"]["Properties"]["CorsConfiguration"]
    condition, rules, otherwise = cors["Fn::If"]
    assert condition == "HasUploadOrigins" and otherwise == NO_VALUE
    (rule,) = rules["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == {"Ref": "UploadAllowedOrigins"}
    joined = {"Fn::Join": ["", {"Ref": "UploadAllowedOrigins"}]}
    assert _template()["Conditions"]["HasUploadOrigins"] == {"Fn::Not": [{"Fn::Equals": [joined, ""]}]}


def test_the_execution_timeout_leaves_room_for_the_longest_path():
    """The ASL's top-level TimeoutSeconds (the pipeline adds it; ExecutionsTimedOut alarms on it)
    must outlast Prepare, the slowest analyzer and Aggregate run one after the other."""
    asl = json.loads((REPO / "statemachine" / "analysis.asl.json").read_text())
    if "TimeoutSeconds" not in asl:
        pytest.skip("statemachine/analysis.asl.json has no top-level TimeoutSeconds yet")
    states = asl["States"]
    parallels = [s for s in states.values() if s["Type"] == "Parallel"]
    slowest = max(t.get("TimeoutSeconds", 0) for p in parallels for b in p["Branches"] for t in b["States"].values())
    longest = states["Prepare"]["TimeoutSeconds"] + slowest + states["Aggregate"]["TimeoutSeconds"]
    assert asl["TimeoutSeconds"] > longest, (asl["TimeoutSeconds"], longest)


def test_deployment_doc_lists_every_parameter_with_its_default():
    text = (REPO / "docs" / "DEPLOYMENT.md").read_text()
    section = text.split("\n## Parameters\n", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*?) \|", section, re.M))
    parameters = _template()["Parameters"]
    assert set(rows) == set(parameters)
    for name, parameter in parameters.items():
        default = str(parameter.get("Default"))
        assert rows[name] == "empty" if default == "" else rows[name].startswith(f"`{default}`"), (name, rows[name])


def test_deployment_doc_names_every_function():
    text = (REPO / "docs" / "DEPLOYMENT.md").read_text()
    for name in _resources("AWS::Serverless::Function"):
        assert f"| `{name}`" in text or f", `{name}`" in text, f"docs/DEPLOYMENT.md: no row for {name}"


def test_every_setting_the_handlers_read_is_in_the_global_environment():
    """Settings.from_env (Aggregate, ExecutionFailed) reads these; Globals gives every function them."""
    settings = REPO / "layers" / "vforensics" / "vforensics" / "pipeline" / "settings.py"
    read = set(re.findall(r'"(VF_\w+)"', settings.read_text()))
    assert {"VF_TABLE_NAME", "VF_RECORD_RETENTION_DAYS"} <= read  # the scan still finds them
    variables = _template()["Globals"]["Function"]["Environment"]["Variables"]
    assert read <= set(variables), read - set(variables)


# --------------------------------------------------------------------------- the moderation hook (section 4b)

MODERATION_PARAMETERS = {"ModerationQueue": "Disabled", "TagUploads": "false", "QuarantinePrefix": ""}


def test_the_moderation_hook_is_off_by_default_and_every_resource_of_it_is_conditional():
    for name, default in MODERATION_PARAMETERS.items():
        assert _parameter(name)["Default"] == default, name
    conditions = _template()["Conditions"]
    assert conditions["HasModerationQueue"] == {"Fn::Equals": [{"Ref": "ModerationQueue"}, "Enabled"]}
    assert conditions["TagsUploads"] == {"Fn::Equals": [{"Ref": "TagUploads"}, "true"]}
    assert conditions["QuarantinesUploads"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "QuarantinePrefix"}, ""]}]}
    moderation = {k: r for k, r in _template()["Resources"].items() if k.startswith("Moderation")}
    assert len(moderation) >= 10
    for name, resource in moderation.items():
        assert resource.get("Condition") in ("HasModerationQueue", "HasModerationFunction", "HasModerationRule"), name


def test_the_moderation_rule_matches_what_the_library_expects_and_parks_what_it_cannot_deliver():
    resources = _template()["Resources"]
    rule = resources["ModerationRule"]["Properties"]
    assert rule["EventPattern"] == EVENT_PATTERN and rule["EventBusName"] == "default"
    dlq = {"Fn::GetAtt": ["ModerationDeadLetterQueue", "Arn"]}
    targets = {}
    for entry in rule["Targets"]:
        condition, target, otherwise = entry["Fn::If"]
        assert otherwise == NO_VALUE
        targets[condition] = target
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0 and target["DeadLetterConfig"] == {"Arn": dlq}
    assert targets["HasModerationQueue"]["Arn"] == {"Fn::GetAtt": ["ModerationEventsQueue", "Arn"]}
    assert targets["HasModerationFunction"]["Arn"] == {"Fn::GetAtt": ["ModerationFunction", "Arn"]}
    queue = resources["ModerationEventsQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == dlq and queue["RedrivePolicy"]["maxReceiveCount"] > 0
    assert resources["ModerationDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    function = resources["ModerationFunction"]["Properties"]
    assert function["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": dlq}  # failed invocations too
    permission = resources["ModerationFunctionRulePermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ModerationRule", "Arn"]}
    assert permission["Principal"] == "events.amazonaws.com"


def test_only_the_moderation_rule_may_send_to_its_queues():
    policies = {
        r["Properties"]["Queues"][0]["Ref"]: r["Properties"]["PolicyDocument"]["Statement"]
        for r in _resources("AWS::SQS::QueuePolicy").values()
    }
    for queue in ("ModerationEventsQueue", "ModerationDeadLetterQueue"):
        (statement,) = policies[queue]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ModerationRule", "Arn"]}}}


def test_the_moderation_function_gets_its_settings_and_alarms():
    resources = _template()["Resources"]
    variables = resources["ModerationFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        UPLOADS_ENV: {"Ref": "UploadsBucket"},
        TAG_ENV: {"Ref": "TagUploads"},
        PREFIX_ENV: {"Ref": "QuarantinePrefix"},
    }
    (errors,) = _alarm_on("AWS/Lambda", "Errors", {"Name": "FunctionName", "Value": {"Ref": "ModerationFunction"}})
    assert errors["Threshold"] == 0
    dlq = {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ModerationDeadLetterQueue", "QueueName"]}}
    (alarm,) = _alarm_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", dlq)
    assert alarm["Threshold"] == 0
    outputs = _template()["Outputs"]
    for name in ("ModerationQueueUrl", "ModerationQueueArn"):
        assert outputs[name]["Condition"] == "HasModerationQueue", name


def test_the_quarantine_prefix_pattern_accepts_folders_only():
    pattern = re.compile(_parameter("QuarantinePrefix")["AllowedPattern"])
    for good in ("", "quarantine/", "moderation/held/", "q_1/"):
        assert pattern.fullmatch(good), good
    for bad in ("quarantine", "/quarantine/", "../x/", "a//", "a b/"):
        assert not pattern.fullmatch(bad), bad
