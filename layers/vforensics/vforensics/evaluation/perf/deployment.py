"""Facts read from the deployment: the state machine's happy path and its transitions, which
Lambda each Task state calls, and each function's memory (template.yaml, statemachine/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vforensics.evaluation.perf._common import ASL, TEMPLATE

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.


def happy_path(definition: dict[str, Any], choices: dict[str, str] | None = None, map_items: int = 1) -> list[str]:
    """State names entered by one successful execution, in order (branches inlined).

    Follows ``StartAt`` and each state's ``Next`` (never a ``Catch``) until ``End`` or a
    Succeed/Fail state; a Parallel state is entered once and then each of its branches is
    walked; a Map state's iterator is walked ``map_items`` times; a Choice state goes to
    ``choices[name]`` if given, else its ``Default``.
    """
    choices = choices or {}
    states, name = definition["States"], definition["StartAt"]
    path: list[str] = []
    for _ in range(10_000):  # a loop in the happy path would be a definition error
        state = states[name]
        path.append(name)
        kind = state["Type"]
        if kind == "Parallel":
            for branch in state["Branches"]:
                path += happy_path(branch, choices, map_items)
        elif kind == "Map":
            iterator = state.get("ItemProcessor") or state["Iterator"]
            for _ in range(map_items):
                path += happy_path(iterator, choices, map_items)
        if kind in ("Succeed", "Fail") or state.get("End"):
            return path
        if kind == "Choice":
            target = choices.get(name) or state.get("Default")
            if not target:
                raise ValueError(f"Choice state {name!r} has no Default: pass choices={{{name!r}: <next state>}}")
            name = target
        else:
            name = state["Next"]
    raise ValueError("the happy path does not end (a loop without a Choice exit?)")


def count_transitions(definition: dict[str, Any], choices: dict[str, str] | None = None, map_items: int = 1) -> int:
    """State transitions Step Functions Standard bills for one successful execution.

    One transition per state entered ("each time a step of your workflow is executed"),
    Parallel and Map states and the states inside their branches included; retries would
    add one each and are not counted (a successful execution without retries).
    """
    return len(happy_path(definition, choices, map_items))


def pipeline_functions(definition: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """Which Lambda function (template logical id) each Task state of the happy path calls.

    Returns ``{"prepare": id, "aggregate": id, "analyzers": {analyzer name: id}, "order": [...]}``,
    resolved through the state machine's ``DefinitionSubstitutions`` (``${XFunctionArn}`` ->
    ``!GetAtt X.Arn``).
    """
    machines = [r for r in template["Resources"].values() if r.get("Type") == "AWS::Serverless::StateMachine"]
    subs: dict[str, Any] = {}
    for machine in machines:
        subs |= machine["Properties"].get("DefinitionSubstitutions", {})

    def function_of(state: dict[str, Any]) -> str | None:
        resource = state.get("Resource", "")
        if not (resource.startswith("${") and resource.endswith("}")):
            return None  # a service integration (DynamoDB, EventBridge), not a Lambda
        value = subs.get(resource[2:-1])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return (target.split(".")[0] if isinstance(target, str) else target[0]) or None
        return None

    found: dict[str, Any] = {"analyzers": {}, "order": []}

    def walk(defn: dict[str, Any]) -> None:
        for name in _branch_path(defn):
            state = defn["States"][name]
            if state["Type"] == "Parallel":
                for branch in state["Branches"]:
                    walk(branch)
                continue
            fn = function_of(state) if state["Type"] == "Task" else None
            if fn is None:
                continue
            found["order"].append(fn)
            analyzer = state.get("Parameters", {}).get("analyzer")
            if analyzer:
                found["analyzers"][analyzer] = fn
            elif not found["analyzers"]:
                found["prepare"] = fn
            else:
                found["aggregate"] = fn

    walk(definition)
    return found


def _branch_path(defn: dict[str, Any]) -> list[str]:
    """Top-level states of one branch on its happy path (nested branches not inlined)."""
    names, name = [], defn["StartAt"]
    while True:
        state = defn["States"][name]
        names.append(name)
        if state["Type"] in ("Succeed", "Fail") or state.get("End"):
            return names
        name = state.get("Default") if state["Type"] == "Choice" else state["Next"]


def load_definition(path: Path = ASL) -> dict[str, Any]:
    return json.loads(path.read_text())


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from cfnlint.decode import decode_str

    template, matches = decode_str(path.read_text())
    if matches:
        raise ValueError(f"{path}: {[str(m) for m in matches]}")
    return template


def function_memory(template: dict[str, Any]) -> dict[str, int]:
    """MemorySize (MB) of every zip/image function, falling back to Globals, then Lambda's 128."""
    default = template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    return {
        name: int(r["Properties"].get("MemorySize", default))
        for name, r in template["Resources"].items()
        if r.get("Type") == "AWS::Serverless::Function"
    }
