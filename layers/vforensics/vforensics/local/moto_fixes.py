"""The one gap in moto 5.2.5's ASL interpreter that the batch state machine needs filled.

moto's interpreter is a port of LocalStack's, minus the step that converts a service
integration's ASL parameters to the boto3 request and the boto3 response back: its
``StateTaskService._normalise_parameters`` and ``_normalise_response`` are empty. DynamoDB
and EventBridge do not notice (their boto3 names are PascalCase, as in ASL), but Step
Functions' own API is camelCase in boto3, so ``arn:aws:states:::states:startExecution``
(.sync, .sync:2) fails with ``KeyError: 'StateMachineArn'`` before any child starts, and its
``.sync`` waiter then reads ``ExecutionArn`` from a response that only has ``executionArn``.

``install`` patches ``StateTaskServiceSfn`` only, and only for what the AWS service does:
the request fields of StartExecution (StateMachineArn, Input, Name) get boto3's names, and
the top-level keys of the StartExecution / DescribeExecution responses get Step Functions'
PascalCase names (``ExecutionArn``, ``Status``, ``Output``) and its dates epoch milliseconds,
as on AWS (moto would otherwise store the datetimes in the state and fail to serialise them). Nothing of the
project's own code is replaced; the real batch ASL runs as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

_START_EXECUTION_FIELDS = {"StateMachineArn": "stateMachineArn", "Input": "input", "Name": "name"}
_installed = False


def install() -> None:
    """Patch moto's Step Functions service integration once per process."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    original_parameters = StateTaskServiceSfn._normalise_parameters

    def normalise_parameters(
        self: Any, parameters: dict, boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        original_parameters(self, parameters, boto_service_name, service_action_name)  # Input to a JSON string
        if service_action_name is None and self._get_boto_service_action() == "start_execution":
            for asl_name, boto_name in _START_EXECUTION_FIELDS.items():
                if asl_name in parameters:
                    parameters[boto_name] = parameters.pop(asl_name)

    def normalise_response(
        self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        if isinstance(response, dict):
            for key in list(response):
                value = response.pop(key)
                if isinstance(value, datetime):  # AWS gives epoch milliseconds (boto3 parses them)
                    value = int(value.timestamp() * 1000)
                response[key[:1].upper() + key[1:]] = value

    StateTaskServiceSfn._normalise_parameters = normalise_parameters  # type: ignore[method-assign]
    StateTaskServiceSfn._normalise_response = normalise_response  # type: ignore[method-assign]
    _installed = True
