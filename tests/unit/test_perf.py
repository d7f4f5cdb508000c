"""The perf instrument: transition counting on the real ASL, the cost arithmetic, and a
small real measurement (fresh one-core interpreters on a 0.3 MP image)."""

import json
from pathlib import Path

import pytest

from vforensics.analyzers import ANALYZERS
from vforensics.evaluation import perf
from vforensics.evaluation.perf import cold_import, images


def test_happy_path_of_the_real_state_machine():
    definition = perf.load_definition()
    # Read from statemachine/analysis.asl.json: Identify (Pass) -> Claim (DynamoDB) -> Prepare ->
    # Analyze (Parallel) with one Task per analyzer branch -> Aggregate -> Done (Succeed).
    assert perf.happy_path(definition) == [
        "Identify",
        "Claim",
        "Prepare",
        "Analyze",
        "AnalyzeMetadata",
        "AnalyzeEla",
        "AnalyzeNoise",
        "AnalyzeJpeg",
        "AnalyzeCopyMove",
        "AnalyzeCfa",
        "AnalyzeEnhance",
        "AnalyzeAiModel",
        "AnalyzeAiFrequency",
        "AnalyzeAiTexture",
        "AnalyzeAiSrm",
        "Aggregate",
        "Done",
    ]
    assert perf.count_transitions(definition) == 17


def test_transition_counter_follows_choice_and_map():
    leaf = {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}}
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Fan"}],
                "Default": "No",
            },
            "No": {"Type": "Fail"},
            "Fan": {"Type": "Map", "ItemProcessor": leaf, "Next": "Both"},
            "Both": {"Type": "Parallel", "Branches": [leaf, leaf], "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    assert perf.count_transitions(definition) == 2  # Pick -> No (the Default)
    assert perf.happy_path(definition, choices={"Pick": "Fan"}, map_items=3) == [
        "Pick", "Fan", "Work", "Work", "Work", "Both", "Work", "Work", "Done"
    ]  # fmt: skip
    del definition["States"]["Pick"]["Default"]
    with pytest.raises(ValueError, match="no Default"):
        perf.count_transitions(definition)


def test_pipeline_functions_and_memory_come_from_template_and_asl():
    template, definition = perf.load_template(), perf.load_definition()
    fns = perf.pipeline_functions(definition, template)
    assert fns["prepare"] == "PrepareFunction"
    assert fns["aggregate"] == "AggregateFunction"
    assert set(fns["analyzers"]) == set(ANALYZERS)
    memory = perf.function_memory(template)
    for fn in [fns["prepare"], fns["aggregate"], *fns["analyzers"].values()]:
        assert isinstance(memory[fn], int) and 128 <= memory[fn] <= 10240


def test_s3_requests_counted_from_the_pipeline():
    # 3 analyzers, 2 with maps: GET 3 (prepare) + 3 (analyzers) + 3 (results) + 4 (maps) + 1 (preview);
    # PUT 4 (maps) + 3 (work json) + 2 (combined) + 2 (report.json, report.zip).
    assert perf.s3_requests_per_analysis(3, 2) == {"get": 14, "put": 11, "upload_put": 1}
    assert perf.s3_requests_per_analysis(1, 0) == {"get": 5, "put": 3, "upload_put": 1}


def test_lambda_and_express_unit_costs():
    # 1000.4 ms is billed as 1001 ms; 1024 MB = 1 GB.
    assert perf.lambda_invocation_usd(1000.4, 1024) == pytest.approx(1.001 * 0.0000166667 + 0.0000002, rel=1e-9)
    assert perf.lambda_invocation_usd(200, 2048) == pytest.approx(0.2 * 2 * 0.0000166667 + 0.0000002, rel=1e-9)
    # Express: 1234 ms is billed as 1300 ms at 64 MB.
    assert perf.express_execution_usd(1234) == pytest.approx(0.000001 + 1.3 * 0.0625 * 0.00001667, rel=1e-9)


def test_cost_per_1000_by_hand():
    cost = perf.cost_per_1000(
        durations_ms={"A": 1000, "B": 500},
        memory_mb={"A": 1024, "B": 2048},
        critical_path_ms=1500,
        transitions=9,
        s3={"get": 14, "put": 11, "upload_put": 1},
        stored_bytes=2e6,
    )
    items = cost["items"]
    assert items["lambda"] == pytest.approx(0.0337334, rel=1e-6)  # 2 x (1 GB-s x 0.0000166667 + 0.0000002) x 1000
    assert items["step_functions_standard"] == pytest.approx(0.225)  # 9 x 1000 x $0.025/1000
    assert items["step_functions_express"] == pytest.approx(
        0.0025628125
    )  # (1e-6 + 1.5 s x 0.0625 GB x 1.667e-5) x 1000
    assert items["s3_get"] == pytest.approx(0.0056)  # 14 000 x $0.0004/1000
    assert items["s3_put"] == pytest.approx(0.06)  # 12 000 x $0.005/1000
    assert items["s3_storage_month"] == pytest.approx(0.046)  # 2 GB x $0.023
    assert items["dynamodb"] == pytest.approx(0.00125)  # 2000 WRU x $0.625/M
    assert items["eventbridge"] == pytest.approx(0.001)
    assert cost["total_standard"] == pytest.approx(0.3725834, rel=1e-6)
    assert cost["total_express"] == pytest.approx(0.3725834 - 0.225 + 0.0025628125, rel=1e-6)


def test_function_durations_add_decode_only_for_pixel_analyzers():
    image = {
        "decode": {"wall_ms": 150.0},
        "prepare": {"wall_ms": 100.2},
        "aggregate": {"wall_ms": 80.5},
        "analyzers": {
            "metadata": {"wall_ms": 5.0, "render_ms": 1.0, "reads_pixels": False},
            "ela": {"wall_ms": 500.0, "render_ms": 40.0, "reads_pixels": True},
        },
    }
    fns = {"prepare": "P", "aggregate": "G", "analyzers": {"metadata": "M", "ela": "E"}}
    memory = {"P": 1024, "G": 1024, "M": 1024, "E": 2048}
    durations, critical = perf.function_durations(image, fns, memory)
    assert durations == {"P": 251, "M": 156, "E": 840, "G": 231}  # + 150 ms I/O, rounded up
    assert critical == 251 + 840 + 231
    shared, _ = perf.function_durations(image, fns, memory, cpu_share=True)
    assert shared["P"] == 324  # 100.2 x 1769/1024 = 173.1, + 150
    assert shared["E"] == 840  # 2048 MB is above one vCPU: unchanged


@pytest.mark.slow
def test_measurement_on_a_small_image(tmp_path):
    image = tmp_path / "small.jpg"
    image.write_bytes(images._jpeg_bytes(perf.synthetic_rgb(640, 480, seed=3)))
    out = tmp_path / "perf.json"
    results = perf.run_perf(out, images=[image], repeats=1, import_repeats=0, plots_dir=tmp_path, log=lambda _: None)

    (measured,) = results["images"]
    assert (measured["width"], measured["height"]) == (640, 480)
    assert measured["one_core"]
    assert measured["decode"]["wall_ms"] > 0 and measured["decode"]["cpu_ms"] >= 0
    assert set(measured["analyzers"]) == set(ANALYZERS)
    for name, a in measured["analyzers"].items():
        assert a["status"] in ("ok", "skipped"), name
        assert a["wall_ms"] > 0 and a["cpu_ms"] >= 0, name
        assert a["process_peak_mb"] > 20 and a["extra_mb"] >= 0, name
    assert measured["analyzers"]["ela"]["reads_pixels"]
    assert measured["prepare"]["wall_ms"] > 0 and measured["aggregate"]["wall_ms"] > 0
    assert measured["aggregate"]["stored_bytes"] > 0

    (row,) = results["costs"]["per_image_size"]
    assert row["cost"]["total_standard"] > row["cost"]["items"]["step_functions_standard"] > 0
    assert "skipped" in results["sizes"] and "skipped" in results["cold_imports"]
    assert json.loads(out.read_text())["images"][0]["file_name"] == "small.jpg"
    assert (tmp_path / "perf_analyzers.png").stat().st_size > 0

    text = perf.to_markdown(results)
    assert "one core" in text and "| 0.3 MP | ela |" in text and "Step Functions Standard (17 transitions)" in text


@pytest.mark.slow
def test_cold_imports_from_source():
    result = perf.measure_cold_imports(None, repeats=1, log=lambda _: None)
    assert set(result["functions"]) == {p.name for p in cold_import._function_folders()}
    for row in result["functions"].values():
        assert row["import_s"] > 0
        assert row["vforensics_from"].startswith(str(perf.LAYER_SOURCE))


def test_images_are_synthesised_when_the_bench_is_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "DEFAULT_IMAGE", tmp_path / "absent.jpg")
    messages = []
    (image,) = perf.prepare_images(None, tmp_path, megapixels=(0.3,), log=messages.append)
    assert "synthetic" in image["note"] and "downsampled" in image["note"]
    assert abs(image["megapixels"] - 0.3) < 0.02
    assert Path(image["path"]).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert messages and "synthetic" in messages[0]
