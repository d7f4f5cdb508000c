"""The corpus generator itself (tools/malformed_corpus.py): kinds, names, expectations, determinism."""

import json

from tools import malformed_corpus as corpus

CHEAP = ("jpeg_missing_eoi", "exif_terminal_escapes", "png_undecodable_with_text", "heic_still", "polyglot_jpeg_zip")


def test_at_least_thirty_kinds_with_unique_names_and_documented_outcomes():
    assert len(corpus.KINDS) >= 30
    assert len({k.name for k in corpus.KINDS}) == len(corpus.KINDS)
    assert len({k.filename for k in corpus.KINDS}) == len(corpus.KINDS)
    documented = {corpus.ANALYSED, corpus.UNREADABLE, *corpus.REFUSAL_CODES}
    for k in corpus.KINDS:
        assert k.expect and set(k.expect) <= documented, k.name
        assert not k.isolate or k.known_issue, f"{k.name}: isolated without a known issue"
        assert k.known_issue is None or k.known_issue.startswith("issue 21"), k.name
    for a, b, expected, _ in corpus.COMPARE_PAIRS:
        assert a in corpus.BY_NAME and b in corpus.BY_NAME
        assert expected == "compared" or expected in corpus.REFUSAL_CODES


def test_kinds_are_deterministic():
    for name in CHEAP:
        kind = corpus.BY_NAME[name]
        first, second = corpus.build(kind), corpus.build(kind)
        assert first == second and len(first) > 0, name


def test_write_makes_the_files_and_the_manifest(tmp_path):
    kinds = tuple(corpus.BY_NAME[n] for n in (*CHEAP, "fifo_named_jpg", "name_with_newline", "empty_file"))
    manifest = corpus.write(tmp_path, kinds)
    assert [m["kind"] for m in manifest] == [k.name for k in kinds]
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    assert (tmp_path / "new\nline.jpg").is_file() and (tmp_path / "empty.jpg").stat().st_size == 0
    assert not (tmp_path / "fifo.jpg").is_file() and (tmp_path / "fifo.jpg").exists()  # a FIFO
    corpus.write(tmp_path, kinds)  # rewriting over an existing corpus (and FIFO) works


def test_table_lists_every_kind():
    table = corpus.table()
    assert all(f"`{k.name}`" in table for k in corpus.KINDS)
