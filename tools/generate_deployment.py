"""Write the deployment files from the analyzer registry (vforensics/analyzers/registry.py).

    .venv/bin/python tools/generate_deployment.py           # rewrite what is out of date
    .venv/bin/python tools/generate_deployment.py --check   # exit 1, naming the files, if any is

What it owns, and nothing else of those files:
- statemachine/analysis.asl.json: the ``Analyze`` state. With one media kind registered it is
  the Parallel state of that kind's analyzers; with more it becomes a Choice on the prepared
  file's media type leading to one Parallel state per kind (``AnalyzeImage``,
  ``AnalyzeVideo``), and a type no analyzer is registered for ends as a FAILED record.
- template.yaml: the blocks between ``# >>> generated`` and ``# <<< generated`` (analyzer
  functions with their scoped S3 policies, log groups and alarms, their DefinitionSubstitutions,
  their invoke policies).
- events/: ``analyzer-<name>.json`` per analyzer (stale ones removed), the branch list of
  ``aggregate.json``, ``moderation.json`` (a HIGH-risk "Analysis Completed" event about the
  same upload) and the per-function sections of ``env.json`` (others, e.g. the API's, are kept).
  The job inside them comes from the real Prepare handler (``tools/make_events.py``) and is kept
  as it is.
The embedded engine reads the registry itself (vforensics/local/deployment.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vforensics.analyzers.registry import ANALYZER_SPECS, AnalyzerSpec
from vforensics.pipeline import layout, moderation, records

ROOT = Path(__file__).resolve().parent.parent
ASL = ROOT / "statemachine" / "analysis.asl.json"
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"
ANALYZE_STATE = "Analyze"
KIND_PATTERNS = {"image": "image/*", "video": "video/*"}
# An analyzer's second maps (AnalyzerResult.extra_maps) by analyzer name: each gets its own
# PutObject grant. tests/infra/test_least_privilege.py checks this against the analyzers' code.
EXTRA_MAPS: dict[str, tuple[str, ...]] = {
    "metadata": ("thumbnail_difference",),
    "noise": ("noise_level", "noise_cooccurrence"),
    "jpeg": ("jpeg_ghost",),
}
TIMED_OUT_IN_SAMPLE = "noise"  # the analyzer whose branch events/aggregate.json shows as timed out
#: events/env.json's ModerationFunction settings: tag and quarantine (template: TagUploads, QuarantinePrefix)
SAMPLE_QUARANTINE_PREFIX = "quarantine/"
# Step Functions waits a little longer than the function's own timeout, so that a timeout is
# reported by Lambda (Sandbox.Timedout) rather than cut off by the state machine.
TASK_TIMEOUT_MARGIN_S = 30
LAMBDA_RETRY = {
    "ErrorEquals": [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ],
    "IntervalSeconds": 2,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
    "JitterStrategy": "FULL",
}
BLOCK = re.compile(
    r"(?P<head>^[ ]*# >>> generated: (?P<name>[a-z-]+)\b[^\n]*\n)(?P<body>.*?)(?P<tail>^[ ]*# <<< generated\n)",
    re.M | re.S,
)


# ---------------------------------------------------------------------------- state machine


def branch(spec: AnalyzerSpec, kind_prefix: str = "") -> dict[str, Any]:
    """One Parallel branch: the analyzer's Task, and a Pass that turns its failure into an entry.

    State names are unique in the whole machine, so with several media kinds they carry the
    kind (``AnalyzeVideoMetadata``)."""
    task = "Analyze" + kind_prefix + spec.state_name.removeprefix("Analyze")
    failed = task.removeprefix("Analyze") + "Failed"
    return {
        "StartAt": task,
        "States": {
            task: {
                "Type": "Task",
                "Comment": f"{spec.description}; writes its result and maps to S3.",
                "Resource": f"${{{spec.logical_id}Arn}}",
                "Parameters": {"analyzer": spec.name, "job.$": "$.job"},
                "TimeoutSeconds": spec.timeout_s + TASK_TIMEOUT_MARGIN_S,
                "Retry": [LAMBDA_RETRY],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": failed}],
                "End": True,
            },
            failed: {
                "Type": "Pass",
                "Comment": "A failed analyzer becomes an error entry; the report is still produced.",
                "Parameters": {
                    "analyzer": spec.name,
                    "status": "error",
                    "error.$": "$.error.Error",
                    "cause.$": "$.error.Cause",
                },
                "End": True,
            },
        },
    }


def parallel(specs: Sequence[AnalyzerSpec], kind: str, after: str, kind_prefix: str = "") -> dict[str, Any]:
    return {
        "Type": "Parallel",
        "Comment": f"One branch per {kind} analyzer Lambda.",
        "Parameters": {"job.$": "$.job"},
        "Branches": [branch(s, kind_prefix) for s in specs],
        "ResultPath": "$.branches",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DescribeError"}],
        "Next": after,
    }


def kinds_of(specs: Sequence[AnalyzerSpec]) -> list[str]:
    return [k for k in KIND_PATTERNS if any(k in s.kinds for s in specs)]


def analyze_states(specs: Sequence[AnalyzerSpec], after: str = "Aggregate") -> dict[str, dict[str, Any]]:
    """The states the registry owns, keyed by name (``Analyze`` first)."""
    kinds = kinds_of(specs)
    if len(kinds) == 1:
        return {ANALYZE_STATE: parallel(specs, kinds[0], after)}
    states: dict[str, dict[str, Any]] = {
        ANALYZE_STATE: {
            "Type": "Choice",
            "Comment": "Each media kind has its own analyzers.",
            "Choices": [
                {"Variable": "$.job.source.media_type", "StringMatches": KIND_PATTERNS[k], "Next": _kind_state(k)}
                for k in kinds
            ],
            "Default": "NoAnalyzersForMedia",
        }
    }
    for k in kinds:
        states[_kind_state(k)] = parallel([s for s in specs if k in s.kinds], k, after, k.title())
    states["NoAnalyzersForMedia"] = {
        "Type": "Pass",
        "Comment": "Prepare accepted a media type that no analyzer is registered for.",
        "Parameters": {"error_type": "UNSUPPORTED_MEDIA", "reason": "no analyzer is registered for this media type"},
        "ResultPath": "$.failure",
        "Next": "RecordFailure",
    }
    return states


def _kind_state(kind: str) -> str:
    return ANALYZE_STATE + kind.title()


def render_asl(current: dict[str, Any], specs: Sequence[AnalyzerSpec]) -> str:
    """``current`` with the registry's states in place of the old ones, in the same position."""
    owned = analyze_states(specs)
    old_owned = {ANALYZE_STATE, "NoAnalyzersForMedia"} | {_kind_state(k) for k in KIND_PATTERNS}
    states: dict[str, Any] = {}
    for name, state in current["States"].items():
        if name == ANALYZE_STATE:
            states.update(owned)
        elif name not in old_owned:
            states[name] = state
    return json.dumps({**current, "States": states}, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------- template.yaml


def _function_yaml(spec: AnalyzerSpec) -> str:
    lines = [f"  # {line}" for line in _wrap(spec.comment)] if spec.comment else []
    lines += [
        f"  {spec.logical_id}:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        f"      Description: {json.dumps(spec.description)}",
    ]
    if spec.package == "image":
        assert spec.image is not None, f"{spec.name}: a container-image analyzer needs its image build"
        lines += ["      PackageType: Image", "      ImageConfig:", '        Command: ["app.handler"]']
    else:
        lines += [
            "      CodeUri: functions/analyzer/",
            "      Handler: app.handler",
            "      Runtime: python3.12",
            f"      Layers: [{', '.join(f'!Ref {layer}' for layer in spec.layers)}]",
        ]
    lines += [
        f"      MemorySize: {spec.memory_mb}",
        f"      Timeout: {spec.timeout_s}",
        "      Policies:",
        "        # Reads the upload; writes only its own result and images (no read, delete or ACL).",
        "        - Statement:",
        "            - Sid: ReadUpload",
        "              Effect: Allow",
        "              Action: s3:GetObject",
        f'              Resource: !Sub "{_s3_arn("UploadsBucket", "*")}"',
        "            - Sid: WriteOwnOutputs",
        "              Effect: Allow",
        "              Action: s3:PutObject",
        "              Resource:",
        *(f'                - !Sub "{_s3_arn("ResultsBucket", key)}"' for key in output_keys(spec.name)),
    ]
    if spec.image is not None:
        lines += [
            "    Metadata:",
            "      DockerContext: .",
            f"      Dockerfile: {spec.image.dockerfile}",
            f"      DockerTag: {spec.image.tag}",
        ]
    lines += [
        "",
        f"  {spec.logical_id}LogGroup:",
        "    Type: AWS::Logs::LogGroup",
        "    Properties:",
        f'      LogGroupName: !Sub "/aws/lambda/${{{spec.logical_id}}}"',
        "      RetentionInDays: !Ref LogRetentionDays",
        "",
        *error_rate_alarm_yaml(spec.logical_id),
        "",
        *throttles_alarm_yaml(spec.logical_id),
    ]
    return "\n".join(lines) + "\n"


def _alarm_head(logical_id: str, kind: str, description: str) -> list[str]:
    return [
        f"  {logical_id}{kind}Alarm:",
        "    Type: AWS::CloudWatch::Alarm",
        "    Properties:",
        f'      AlarmDescription: !Sub "${{{logical_id}}}: {description}"',
        "      AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]",
        "      ComparisonOperator: GreaterThanThreshold",
        "      EvaluationPeriods: 1",
        "      TreatMissingData: notBreaching",
    ]


def _lambda_metric(logical_id: str, metric_id: str, metric: str) -> list[str]:
    return [
        f"        - Id: {metric_id}",
        "          ReturnData: false",
        "          MetricStat:",
        "            Period: 300",
        "            Stat: Sum",
        "            Metric:",
        "              Namespace: AWS/Lambda",
        f"              MetricName: {metric}",
        f"              Dimensions: [{{Name: FunctionName, Value: !Ref {logical_id}}}]",
    ]


def error_rate_alarm_yaml(logical_id: str) -> list[str]:
    """Errors / Invocations over 5 minutes above AnalyzerErrorRatePercent."""
    return [
        *_alarm_head(logical_id, "ErrorRate", "over ${AnalyzerErrorRatePercent}% of invocations failed in 5 minutes"),
        "      Threshold: !Ref AnalyzerErrorRatePercent",
        "      Metrics:",
        "        - Id: rate",
        '          Expression: "IF(invocations > 0, 100 * errors / invocations, 0)"',
        "          Label: error rate (%)",
        "          ReturnData: true",
        *_lambda_metric(logical_id, "errors", "Errors"),
        *_lambda_metric(logical_id, "invocations", "Invocations"),
    ]


def throttles_alarm_yaml(logical_id: str) -> list[str]:
    """Any throttled invocation in 5 minutes (reserved concurrency reached)."""
    return [
        *_alarm_head(logical_id, "Throttles", "invocations throttled (reserved concurrency reached)"),
        "      Namespace: AWS/Lambda",
        "      MetricName: Throttles",
        f"      Dimensions: [{{Name: FunctionName, Value: !Ref {logical_id}}}]",
        "      Statistic: Sum",
        "      Period: 300",
        "      Threshold: 0",
    ]


def output_keys(name: str) -> list[str]:
    """Key patterns (``*`` for the analysis id) analyzer ``name`` writes, from pipeline/layout.py."""
    prefix = layout.analysis_prefix("*")
    maps = [name, *EXTRA_MAPS.get(name, ())]
    return [
        layout.result_key("*", name),
        *(prefix + layout.map_name(m) for m in maps),
        *(prefix + layout.heatmap_name(m) for m in maps),
        prefix + layout.view_name(name, "*"),
    ]


def _s3_arn(bucket: str, key: str) -> str:
    return f"arn:${{AWS::Partition}}:s3:::${{{bucket}}}/{key}"


def _wrap(text: str, width: int = 88) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def template_blocks(specs: Sequence[AnalyzerSpec]) -> dict[str, str]:
    return {
        "functions": "\n".join(_function_yaml(s) for s in specs),
        "substitutions": "".join(f"        {s.logical_id}Arn: !GetAtt {s.logical_id}.Arn\n" for s in specs),
        "invoke-policies": "".join(
            f"        - LambdaInvokePolicy:\n            FunctionName: !Ref {s.logical_id}\n" for s in specs
        ),
    }


def render_template(text: str, specs: Sequence[AnalyzerSpec]) -> str:
    blocks = template_blocks(specs)
    found = {m["name"] for m in BLOCK.finditer(text)}
    if found != set(blocks):
        raise SystemExit(f"template.yaml: generated blocks {sorted(found)}, expected {sorted(blocks)}")
    return BLOCK.sub(lambda m: m["head"] + blocks[m["name"]] + m["tail"], text)


# ---------------------------------------------------------------------------- events/


def render_events(specs: Sequence[AnalyzerSpec], events: Path = EVENTS) -> dict[str, str]:
    """File name -> content of every event file the registry owns (job and env kept as they are)."""
    aggregate = json.loads((events / "aggregate.json").read_text())
    job = aggregate["job"]
    aid = job["analysis_id"]
    out = {f"analyzer-{s.name}.json": _json({"analyzer": s.name, "job": job}) for s in specs}
    branches: list[dict[str, Any]] = [
        {
            "analyzer": s.name,
            "status": "ok",
            "score": 0.0,
            "elapsed_ms": 100.0,
            "result_key": f"work/{aid}/{s.name}.json",
        }
        for s in specs
        if s.name != TIMED_OUT_IN_SAMPLE
    ]
    if any(s.name == TIMED_OUT_IN_SAMPLE for s in specs):  # as the branch's Catch passes a timed-out analyzer on
        cause = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 120.00 seconds"}
        branches.append(
            {
                "analyzer": TIMED_OUT_IN_SAMPLE,
                "status": "error",
                "error": "Sandbox.Timedout",
                "cause": json.dumps(cause),
            }
        )
    out["aggregate.json"] = _json({"job": job, "branches": branches})
    out["moderation.json"] = _json(moderation_event(job))
    env = json.loads((events / "env.json").read_text())
    functions = ["PrepareFunction", *(s.logical_id for s in specs), "AggregateFunction"]
    sections: dict[str, dict[str, str]] = {f: dict(env["Parameters"]) for f in functions}
    sections["ModerationFunction"] = {
        **env["Parameters"],
        moderation.UPLOADS_ENV: job["upload"]["bucket"],
        moderation.TAG_ENV: "true",
        moderation.PREFIX_ENV: SAMPLE_QUARANTINE_PREFIX,
    }
    # hand-kept sections of functions the registry does not make (the API's) stay as they are
    kept = {k: v for k, v in env.items() if k != "Parameters" and k not in sections and not k.startswith("Analyzer")}
    out["env.json"] = _json({"Parameters": env["Parameters"], **sections, **kept})
    return out


def moderation_event(job: dict[str, Any]) -> dict[str, Any]:
    """The "Analysis Completed" event ModerationRule hands ModerationFunction, about the sample
    upload (rated HIGH here so that the sample exercises the action; the photo itself is LOW)."""
    aid = job["analysis_id"]
    upload = job["upload"]
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000002",
        "detail-type": records.COMPLETED_EVENT,
        "source": records.EVENT_SOURCE,
        "account": "123456789012",
        "time": "2026-11-23T12:00:05Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "analysis_id": aid,
            "status": "COMPLETED",
            "bucket": upload["bucket"],
            "key": upload["key"],
            "etag": upload["etag"],
            "verdict": "Likely manipulated",
            "risk": "HIGH",
            "tampering_likelihood": 98.8,
            "confidence": "medium",
            "results_bucket": job["results"]["bucket"],
            "report_key": job["results"]["prefix"] + layout.REPORT,
            "zip_key": job["results"]["prefix"] + layout.ZIP,
            "analyzer_errors": [],
        },
    }


def _json(payload: Any) -> str:
    return json.dumps(payload, indent=2) + "\n"


# ---------------------------------------------------------------------------- driver


def planned(specs: Sequence[AnalyzerSpec] = ANALYZER_SPECS) -> tuple[dict[Path, str], list[Path]]:
    """(path -> wanted content, stale files to remove)."""
    files = {
        ASL: render_asl(json.loads(ASL.read_text()), specs),
        TEMPLATE: render_template(TEMPLATE.read_text(), specs),
    }
    files |= {EVENTS / name: text for name, text in render_events(specs).items()}
    stale = [p for p in sorted(EVENTS.glob("analyzer-*.json")) if p not in files]
    return files, stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    files, stale = planned()
    outdated = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
    if args.check:
        for path in [*outdated, *stale]:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        if outdated or stale:
            print("run: .venv/bin/python tools/generate_deployment.py", file=sys.stderr)
        return 1 if outdated or stale else 0
    for path in outdated:
        path.write_text(files[path])
        print("wrote", path.relative_to(ROOT))
    for path in stale:
        path.unlink()
        print("removed", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
