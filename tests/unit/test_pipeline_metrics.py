"""Dimensioned metrics: each its own EMF record, with its dimensions, and silent when disabled."""

import json

from vforensics.pipeline import metrics


def test_a_metric_carries_its_own_dimensions_and_nothing_else(monkeypatch, capsys):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "VisualForensics")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "vforensics")
    metrics.count("AnalyzerRuns", analyzer="noise", status="ok")
    metrics.count("AnalyzerRuns", analyzer="ela", status="skipped")
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (first["analyzer"], first["status"], second["analyzer"], second["status"]) == (
        "noise",
        "ok",
        "ela",
        "skipped",
    )
    (definition,) = first["_aws"]["CloudWatchMetrics"]
    assert definition["Namespace"] == "VisualForensics"
    assert sorted(definition["Dimensions"][0]) == ["analyzer", "service", "status"]
    assert definition["Metrics"] == [{"Name": "AnalyzerRuns", "Unit": "Count"}]
    assert first["AnalyzerRuns"] == [1.0]


def test_disabled_metrics_print_nothing(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "VisualForensics")
    metrics.count("AnalysesCompleted", risk="LOW")
    assert capsys.readouterr().out == ""


def test_the_cold_start_metric_follows_the_switch(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    assert not metrics.capture_cold_start()
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED")
    assert metrics.capture_cold_start()
