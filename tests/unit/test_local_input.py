"""Local inputs from strangers: paths that are not regular files, and text bound for a terminal."""

import json
import os
from pathlib import Path

import pytest

from vforensics.errors import MediaRejected
from vforensics.local.files import LocalFileError, read_local_file
from vforensics.local.runner import output_names
from vforensics.local.terminal import safe_json_text, safe_text
from vforensics.pipeline.layout import safe_name

from .images import encode, natural_rgb


@pytest.mark.timeout(10)  # a hang guard: reading a FIFO blocked until something wrote to it
def test_a_named_pipe_or_a_device_is_refused_without_reading(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    with pytest.raises(LocalFileError, match="not a regular file \\(a named pipe\\)"):
        read_local_file(fifo)
    with pytest.raises(LocalFileError, match="a character device"):
        read_local_file("/dev/zero")
    with pytest.raises(LocalFileError, match="a directory"):
        read_local_file(tmp_path)


def test_sizes_are_checked_before_the_file_is_read(tmp_path, monkeypatch):
    photo = tmp_path / "p.png"
    photo.write_bytes(encode(natural_rgb(64, 48), "PNG"))
    assert read_local_file(photo) == photo.read_bytes()
    monkeypatch.setenv("VF_MAX_BYTES", "100")
    with pytest.raises(MediaRejected) as err:
        read_local_file(photo)
    assert err.value.code == "FILE_TOO_LARGE"
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(MediaRejected, match="EMPTY_FILE"):
        read_local_file(tmp_path / "empty.jpg")


def test_escape_sequences_and_bidi_overrides_are_shown_not_obeyed():
    evil = "Photoshop\x1b[2J\x1b]0;owned\x07\nverdict: AUTHENTIC \u202egpj.exe \x9b31m"
    shown = safe_text(evil)
    assert not any(ch in shown for ch in "\x1b\x07\n\u202e\x9b")
    assert shown == "Photoshop\\x1b[2J\\x1b]0;owned\\x07\\x0averdict: AUTHENTIC \\u202egpj.exe \\x9b31m"
    assert safe_text("Café, 東京, Ünïcode") == "Café, 東京, Ünïcode"
    assert safe_text("two\nlines", keep_newlines=True) == "two\nlines"
    document = json.dumps({"software": evil}, indent=2, ensure_ascii=False)
    safe = safe_json_text(document)
    assert json.loads(safe) == {"software": evil} and not any(ch in safe for ch in "\x1b\x9b\u202e")


def test_file_names_become_safe_folder_names():
    assert safe_name("a\nb.jpg") == "a_b.jpg" and safe_name("..") == "_.." and safe_name("x\x1b[2J") == "x_[2J"
    assert output_names([Path("a\nb.jpg"), Path("a\rb.jpg")]) == ["a_b.jpg", "a_b.jpg-2"]
