"""The benchmark runner's partial regeneration: ``--only`` replaces some parts of docs/BENCHMARKS.md
and keeps the others with the date and commit of the run that wrote them."""

from pathlib import Path

import pytest

from vforensics.evaluation.benchmarks.runner import DOCUMENT_ORDER, Part, read_parts, render

REPO = Path(__file__).resolve().parents[2]


def _parts(**texts: str) -> dict[str, Part]:
    return {
        name: Part(name, "2026-11-24", "0831b17", None, texts.get(name, f"## {name}\n\n| a |\n|---|\n| 1 |"))
        for name in DOCUMENT_ORDER
    }


def test_a_rendered_document_reads_back_part_for_part():
    parts = _parts()
    parts["perf"] = Part("perf", "2026-12-02", "520bd3f+changes", 154.0, "## Speed\n\n<!-- a note -->\ntext")
    document = render(parts)
    assert read_parts(document) == parts
    assert "| perf | 2026-12-02 | 520bd3f+changes | 2.6 |" in document
    assert "| synthetic | 2026-11-24 | 0831b17 | - |" in document


def test_replacing_one_part_keeps_the_others_and_their_provenance():
    before = read_parts(render(_parts()))
    after = dict(before)
    after["synthetic"] = Part("synthetic", "2026-12-02", "abc1234", 3600.0, "## Synthetic\n\nnew figures")
    again = read_parts(render(after))
    assert again["synthetic"].text == "## Synthetic\n\nnew figures"
    assert again["synthetic"].commit == "abc1234"
    assert {n: p for n, p in again.items() if n != "synthetic"} == {n: p for n, p in before.items() if n != "synthetic"}


def test_a_document_without_markers_is_refused_with_the_way_out():
    with pytest.raises(ValueError, match="run the whole bench once"):
        read_parts("# Benchmarks\n\n## Synthetic\n\n| a |\n")


def test_a_document_missing_a_part_or_with_an_unknown_one_is_refused():
    parts = _parts()
    document = render(parts)
    without = document.replace(parts["metadata"].marker(), "")
    with pytest.raises(ValueError, match="metadata"):
        read_parts(without)
    with pytest.raises(ValueError, match="unknown sections bogus"):
        read_parts(document + "\n<!-- bench-section bogus 2026-12-02 abc - -->\n")
    with pytest.raises(ValueError, match="malformed"):
        read_parts(document + "\n<!-- bench-section bogus -->\n")


def test_the_committed_document_has_every_part():
    parts = read_parts((REPO / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8"))
    assert list(parts) == list(DOCUMENT_ORDER)
    assert all(p.text.startswith(("## ", "### ", "Through the whole pipeline")) for p in parts.values())
