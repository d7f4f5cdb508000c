"""One embedded engine (moto server + real ASL + our handlers) for all pipeline tests,
plus an SQS queue subscribed to our events, standing in for a moderation system."""

import json
import time

import pytest

from vforensics.local.engine import LocalEngine
from vforensics.pipeline import aws


@pytest.fixture(scope="session")
def engine(root):
    with LocalEngine(root) as eng:
        yield eng


@pytest.fixture(scope="session")
def moderation_queue(engine):
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName="moderation")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="to-moderation", EventPattern=json.dumps({"source": ["vforensics"]}), State="ENABLED")
    events.put_targets(Rule="to-moderation", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def received_events(queue_url: str, analysis_id: str, wait_s: float = 5.0) -> list[dict]:
    """EventBridge events for ``analysis_id`` delivered to the queue so far.

    Other tests' events are held invisible while the queue is scanned, so that a receive reaches
    past them (a queue holding more than 10 of them would otherwise answer the same 10 each time),
    and are made visible again at the end.
    """
    sqs = aws.client("sqs")
    found, held, deadline = [], [], time.monotonic() + wait_s
    try:
        while time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
                event = json.loads(message["Body"])
                if event["detail"].get("analysis_id") == analysis_id:
                    found.append(event)
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                else:  # another test's event: leave it for that test
                    held.append(message["ReceiptHandle"])
            if found:
                return found
            time.sleep(0.1)
        return found
    finally:
        for receipt in held:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
