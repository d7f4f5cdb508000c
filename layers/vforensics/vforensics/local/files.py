"""Reading a user's local file for analysis: regular files only, within the upload limit.

A FIFO, a device or a socket given as a path would block ``read_bytes`` forever (or never
end, for /dev/zero), so they are refused from ``stat`` before any read. Where no pipeline
follows (``metadata``, ``compare``) the size is checked before the file is read into memory,
and the read is bounded in case the file grows.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from vforensics.media import limits
from vforensics.media.image import check_size


class LocalFileError(Exception):
    """The path cannot be read as a file (missing, not a regular file, no permission)."""


def read_local_file(path: Path, check_limits: bool = True) -> bytes:
    """The file's bytes; ``LocalFileError`` or ``MediaRejected`` (EMPTY_FILE, FILE_TOO_LARGE).

    ``check_limits=False`` leaves the size limits to the pipeline, whose Prepare step refuses
    and records such a file like any upload (``vforensics analyze``).
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise LocalFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise LocalFileError(f"cannot read {path}: not a regular file ({_kind(info.st_mode)})")
    if check_limits:
        check_size(info.st_size)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.max_bytes() + 1) if check_limits else fh.read()
    except OSError as exc:
        raise LocalFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if check_limits:
        check_size(len(data))
    return data


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"
