"""What the local engine deploys: the same functions, ASL and substitutions as template.yaml.

A test (tests/infra) checks that these agree with the template, so local runs and AWS
deployments cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vforensics.analyzers.registry import ANALYZER_SPECS

REGION = "us-east-1"
ACCOUNT = "123456789012"
STATE_MACHINE_FILE = "statemachine/analysis.asl.json"
BATCH_STATE_MACHINE_FILE = "statemachine/batch.asl.json"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: str  # folder under the project root
    handler: str  # "module.function"

    @property
    def name(self) -> str:
        return f"vf-{self.logical_id}"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name}"


# The analyzers come from the registry, as template.yaml's do (tools/generate_deployment.py).
# A container-image analyzer (ai_model: functions/model/Dockerfile) runs this same handler.
FUNCTIONS = (
    FunctionSpec("PrepareFunction", "functions/prepare", "app.handler"),
    *(FunctionSpec(spec.logical_id, "functions/analyzer", "app.handler") for spec in ANALYZER_SPECS),
    FunctionSpec("AggregateFunction", "functions/aggregate", "app.handler"),
)

#: functions an EventBridge rule invokes, not the state machine (no ASL substitution):
#: ExecutionFailed gets the analysis state machine's FAILED / TIMED_OUT / ABORTED status changes;
#: Moderation (optional, off by default) the HIGH-risk "Analysis Completed" events
EVENT_FUNCTIONS = (
    FunctionSpec("ExecutionFailedFunction", "functions/execution_failed", "app.handler"),
    FunctionSpec("ModerationFunction", "functions/moderation", "app.handler"),
)
EXECUTION_FAILED, MODERATION = EVENT_FUNCTIONS
#: the HTTP API's function, behind API Gateway on AWS and ``vforensics serve`` locally
API_FUNCTION = FunctionSpec("ApiFunction", "functions/api", "app.handler")
HTTP_FUNCTIONS = (API_FUNCTION,)

#: functions the batch state machine invokes (statemachine/batch.asl.json)
BATCH_FUNCTIONS = (FunctionSpec("BatchSummaryFunction", "functions/batch_summary", "app.handler"),)


@dataclass(frozen=True)
class LocalResources:
    uploads_bucket: str = "vf-local-uploads"
    results_bucket: str = "vf-local-results"
    table_name: str = "vf-local-analyses"
    requests_table: str = "vf-local-requests"
    event_bus_name: str = "default"
    state_machine_name: str = "vf-local-analysis"
    moderation_rule: str = "vf-local-moderation"  # template: ModerationRule
    moderation_queue: str = "vf-local-moderation"  # template: ModerationQueue
    batch_state_machine_name: str = "vf-local-batch"


@dataclass(frozen=True)
class BatchSettings:
    """The batch template parameters (BatchMaxConcurrency, ...), as the ASL's substitutions.

    The local defaults poll every second instead of 10 s; a test shortens the deadline to
    see an analysis that never ends become a TIMEOUT row."""

    max_concurrency: int = 4
    tolerated_failure_percentage: int = 10
    poll_seconds: int = 1
    deadline_seconds: int = 120


def substitutions(resources: LocalResources) -> dict[str, str]:
    """Values for every ``${Placeholder}`` of the ASL (template: DefinitionSubstitutions)."""
    subs = {f"{f.logical_id}Arn": f.arn for f in FUNCTIONS}
    subs["AnalysesTableName"] = resources.table_name
    subs["EventBusName"] = resources.event_bus_name
    return subs


def batch_substitutions(analysis_state_machine_arn: str, settings: BatchSettings) -> dict[str, str]:
    """Values for every ``${Placeholder}`` of the batch ASL (template: BatchStateMachine)."""
    subs = {f"{f.logical_id}Arn": f.arn for f in BATCH_FUNCTIONS}
    subs["AnalysisStateMachineArn"] = analysis_state_machine_arn
    subs["BatchMaxConcurrency"] = str(settings.max_concurrency)
    subs["BatchToleratedFailurePercentage"] = str(settings.tolerated_failure_percentage)
    subs["BatchPollSeconds"] = str(settings.poll_seconds)
    subs["BatchDeadlineSeconds"] = str(settings.deadline_seconds)
    return subs


def project_root() -> Path:
    """The repository folder holding statemachine/ and functions/ (``VF_PROJECT_ROOT``)."""
    if env := os.environ.get("VF_PROJECT_ROOT"):
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if (candidate / STATE_MACHINE_FILE).is_file() and (candidate / "functions").is_dir():
            return candidate
    raise RuntimeError(
        "cannot find the project folder (statemachine/ and functions/); install vforensics from a clone "
        "with `pip install -e layers/vforensics` or set VF_PROJECT_ROOT"
    )


def render_definition(
    root: Path, resources: LocalResources, file: str = STATE_MACHINE_FILE, subs: dict[str, str] | None = None
) -> str:
    text = (root / file).read_text()
    for key, value in (substitutions(resources) if subs is None else subs).items():
        text = text.replace("${" + key + "}", value)
    if "${" in text:
        raise RuntimeError("the ASL has a ${Placeholder} without a local substitution")
    return text
