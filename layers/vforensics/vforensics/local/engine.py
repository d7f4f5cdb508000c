"""The embedded AWS: a moto server in this process, running the project's real ASL.

``LocalEngine`` starts moto in server mode on a free loopback port (real HTTP, real boto3
clients), turns on moto's ASL interpreter, routes Lambda Task states to the project's own
handlers (``lambda_router``), and creates the buckets, table and state machine of
template.yaml (the batch state machine too: ``run_batch``). Everything the handlers do goes
through boto3 to ``AWS_ENDPOINT_URL``.
When an execution stops (failed, timed out, aborted), ``wait`` hands Step Functions' status
change event to the ExecutionFailed handler, as the template's rule does. With
``enable_moderation`` (off by default, as in the template), the template's ModerationRule is
created on moto's EventBridge with its real pattern and queue, and ``wait`` hands each event
the rule delivered to the Moderation handler, as the rule's Lambda target would (moto's
EventBridge cannot invoke Lambda targets). Faults can be injected at the service edge
(``faults``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vforensics.local import deployment, faults, lambda_router, moto_fixes
from vforensics.local.deployment import ACCOUNT, EXECUTION_FAILED, MODERATION, REGION, BatchSettings, LocalResources
from vforensics.local.events import execution_status_change_event
from vforensics.pipeline import aws, batches, moderation

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

_ENV_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "vforensics",
    "POWERTOOLS_METRICS_NAMESPACE": "VisualForensics",
}
_ENV_QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}


class LocalEngine:
    def __init__(self, root: Path | None = None, resources: LocalResources | None = None, quiet: bool = True):
        self.root = root or deployment.project_root()
        self.resources = resources or LocalResources()
        self.quiet = quiet
        self.endpoint: str | None = None
        self.state_machine_arn: str | None = None
        self.batch_state_machine_arn: str | None = None
        self._batch_machines: set[str] = set()
        self._server: ThreadedMotoServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self.moderation_queue_url: str | None = None
        #: every answer of the Moderation handler to an event the rule routed, in order
        self.moderation_answers: list[dict] = []

    def __enter__(self) -> LocalEngine:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        default_user_config.update({"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.quiet:  # moto's ASL interpreter logs every caught Task failure at ERROR
            logging.getLogger("moto").setLevel(logging.CRITICAL)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        wsgi = self._server._server  # werkzeug's server: requests go through faults first
        assert wsgi is not None
        wsgi.app = faults.FaultMiddleware(wsgi.app)
        faults.load_env()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        env = dict(_ENV_DEFAULTS)
        if self.quiet:
            env.update(_ENV_QUIET)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "MOTO_PORT": str(port),
                "VF_RESULTS_BUCKET": self.resources.results_bucket,
                "VF_TABLE_NAME": self.resources.table_name,
                "VF_UPLOADS_BUCKET": self.resources.uploads_bucket,
                "VF_REQUESTS_TABLE": self.resources.requests_table,
                "VF_EVENT_BUS_NAME": self.resources.event_bus_name,
            }
        )
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            self._saved_env[name] = os.environ.pop(name, None)
        for name, value in env.items():
            if name.startswith("POWERTOOLS_") and name in os.environ and name not in _ENV_QUIET:
                continue
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        aws.client.cache_clear()
        lambda_router.install()
        moto_fixes.install()  # states:startExecution(.sync:2), which the batch ASL uses
        for spec in (*deployment.FUNCTIONS, *deployment.EVENT_FUNCTIONS, *deployment.BATCH_FUNCTIONS):
            lambda_router.register(spec.name, lambda_router.load_handler(self.root, spec.code_uri, spec.handler))
        self._create_resources()
        self._saved_env.setdefault("VF_BATCH_STATE_MACHINE_ARN", os.environ.get("VF_BATCH_STATE_MACHINE_ARN"))
        os.environ["VF_BATCH_STATE_MACHINE_ARN"] = self.batch_state_machine_arn or ""  # the API starts batches

    def stop(self) -> None:
        faults.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        aws.client.cache_clear()

    def _create_resources(self) -> None:
        r = self.resources
        s3 = aws.client("s3")
        for bucket in (r.uploads_bucket, r.results_bucket):
            s3.create_bucket(Bucket=bucket)
        for table, key in ((r.table_name, "analysis_id"), (r.requests_table, "request_id")):
            aws.client("dynamodb").create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            )
        self.state_machine_arn = self.create_state_machine(r.state_machine_name)
        self.batch_state_machine_arn = self.create_batch_state_machine(r.batch_state_machine_name)

    def create_state_machine(self, name: str, timeout_seconds: int | None = None) -> str:
        """Deploy the ASL as ``name``; ``timeout_seconds`` replaces its top-level TimeoutSeconds
        (a test cannot wait for the real one)."""
        definition = deployment.render_definition(self.root, self.resources)
        if timeout_seconds is not None:
            definition = json.dumps(json.loads(definition) | {"TimeoutSeconds": timeout_seconds})
        return aws.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            type="STANDARD",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/vf-local-state-machine",
        )["stateMachineArn"]

    def create_batch_state_machine(self, name: str, settings: BatchSettings | None = None) -> str:
        """Deploy statemachine/batch.asl.json as ``name``, its children being the analysis state
        machine's executions; ``settings`` are the template's Batch* parameters (a test shortens
        the deadline). The definition is the file as is, with only its substitutions filled."""
        assert self.state_machine_arn is not None, "create the analysis state machine first"
        subs = deployment.batch_substitutions(self.state_machine_arn, settings or BatchSettings())
        definition = deployment.render_definition(self.root, self.resources, deployment.BATCH_STATE_MACHINE_FILE, subs)
        arn: str = aws.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            type="STANDARD",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/vf-local-batch-state-machine",
        )["stateMachineArn"]
        self._batch_machines.add(arn)
        return arn

    def run_batch(
        self,
        batch_id: str,
        items: list[batches.BatchItem],
        state_machine_arn: str | None = None,
        timeout_s: float = 900.0,
    ) -> dict:
        """Write the manifest, start the batch as the API would (pipeline.batches) and wait for
        it; returns describe_execution's answer."""
        bucket = self.resources.results_bucket
        key = batches.write_manifest(bucket, batch_id, items)
        arn = batches.start_batch(state_machine_arn or self.batch_state_machine_arn or "", batch_id, bucket, key)
        return self.wait(arn, timeout_s=timeout_s, poll_s=0.2)

    # ---- running executions -------------------------------------------------------

    def start_execution(self, event: dict, name: str, state_machine_arn: str | None = None) -> str:
        return aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn or self.state_machine_arn, name=name, input=json.dumps(event)
        )["executionArn"]

    def wait(self, execution_arn: str, timeout_s: float = 900.0, poll_s: float = 0.05) -> dict:
        """Block until the execution ends; returns describe_execution's answer."""
        sfn = aws.client("stepfunctions")
        deadline = time.monotonic() + timeout_s
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                # the template's rule sends ExecutionFailed analysis executions only, not batches
                analysis = described["stateMachineArn"] not in self._batch_machines
                if analysis and described["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
                    self.execution_stopped(described)
                elif self.moderation_queue_url is not None:
                    self.deliver_moderation_events()
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def execution_stopped(self, described: dict) -> dict:
        """Invoke ExecutionFailed with the status change event of a stopped execution (through
        the Lambda API, as the EventBridge rule's target); returns its answer."""
        response = aws.client("lambda").invoke(
            FunctionName=EXECUTION_FAILED.arn, Payload=json.dumps(execution_status_change_event(described)).encode()
        )
        answer = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):  # on AWS: EventBridge retries, then its dead-letter queue
            logging.getLogger(__name__).warning("the ExecutionFailed handler failed: %s", answer)
        return answer

    # ---- the optional moderation hook (template: ModerationRule, ModerationFunction) --------

    def enable_moderation(self, tag_uploads: bool = True, quarantine_prefix: str = "quarantine/") -> str:
        """Deploy the moderation hook as the template does with ``ModerationQueue=Enabled``,
        ``TagUploads`` and ``QuarantinePrefix``: the rule with its real pattern, its queue, and the
        function's settings. Returns the queue's URL."""
        r = self.resources
        sqs, events = aws.client("sqs"), aws.client("events")
        url = sqs.create_queue(QueueName=r.moderation_queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name=r.moderation_rule,
            EventPattern=json.dumps(moderation.EVENT_PATTERN),
            State="ENABLED",
            EventBusName=r.event_bus_name,
        )
        events.put_targets(Rule=r.moderation_rule, EventBusName=r.event_bus_name, Targets=[{"Id": "queue", "Arn": arn}])
        self._set_env(
            {
                moderation.UPLOADS_ENV: r.uploads_bucket,
                moderation.TAG_ENV: "true" if tag_uploads else "false",
                moderation.PREFIX_ENV: quarantine_prefix,
            }
        )
        self.moderation_queue_url = url
        return url

    def disable_moderation(self) -> None:
        """Remove what ``enable_moderation`` deployed (its events stay undelivered)."""
        if self.moderation_queue_url is None:
            return
        r, events = self.resources, aws.client("events")
        events.remove_targets(Rule=r.moderation_rule, EventBusName=r.event_bus_name, Ids=["queue"])
        events.delete_rule(Name=r.moderation_rule, EventBusName=r.event_bus_name)
        aws.client("sqs").delete_queue(QueueUrl=self.moderation_queue_url)
        self.moderation_queue_url = None

    def deliver_moderation_events(self) -> list[dict]:
        """Invoke Moderation (through the Lambda API) with each event the rule has delivered to its
        queue so far; returns the handler's answers."""
        if self.moderation_queue_url is None:
            return []
        sqs, answers = aws.client("sqs"), []
        while messages := sqs.receive_message(QueueUrl=self.moderation_queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in messages:
                answers.append(self.moderate(json.loads(message["Body"])))
                self.moderation_answers.append(answers[-1])
                sqs.delete_message(QueueUrl=self.moderation_queue_url, ReceiptHandle=message["ReceiptHandle"])
        return answers

    def moderate(self, event: dict) -> dict:
        """Invoke the Moderation handler with one EventBridge event; returns its answer."""
        response = aws.client("lambda").invoke(FunctionName=MODERATION.arn, Payload=json.dumps(event).encode())
        answer = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):  # on AWS: two retries, then its dead-letter queue
            logging.getLogger(__name__).warning("the Moderation handler failed: %s", answer)
        return answer

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def record(self, analysis_id: str) -> dict | None:
        """The analysis record from DynamoDB, as plain values."""
        item = (
            aws.client("dynamodb")
            .get_item(TableName=self.resources.table_name, Key={"analysis_id": {"S": analysis_id}}, ConsistentRead=True)
            .get("Item")
        )
        if item is None:
            return None
        return {k: next(iter(v.values())) for k, v in item.items()}
