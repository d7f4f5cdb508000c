"""ExifTool (Phil Harvey), the reference reader of every metadata tag, when it is installed.

ExifTool decodes maker notes, every XMP namespace and hundreds of formats that no Python
library covers; where it is on PATH (Debian: ``apt install libimage-exiftool-perl``) its
full tag dump is added to the metadata details. The Lambda runtime has no Perl, so the
analyzer's flags never depend on it: they come from the pure-Python path everywhere, and
the report says which readers ran. ``VF_EXIFTOOL=off`` turns it off, ``VF_EXIFTOOL=/path``
picks a binary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import lru_cache
from typing import Any

TIMEOUT_S = 20
MAX_TAGS = 2_000


def executable() -> str | None:
    setting = os.environ.get("VF_EXIFTOOL", "auto")
    if setting == "off":
        return None
    return shutil.which("exiftool") if setting == "auto" else setting


def version() -> str | None:
    exe = executable()
    return _version(exe) if exe else None


@lru_cache(maxsize=4)
def _version(exe: str) -> str | None:
    try:
        return subprocess.run([exe, "-ver"], capture_output=True, text=True, timeout=TIMEOUT_S).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def read(data: bytes) -> dict[str, Any] | None:
    """Every tag ExifTool finds (``Group:Tag`` -> value, binary values omitted), or None."""
    exe = executable()
    if not exe or not version():
        return None
    try:
        done = subprocess.run(
            [exe, "-json", "-G1", "-a", "-u", "-s", "-charset", "utf8", "-"],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_S,
        )
        tags = json.loads(done.stdout.decode("utf-8", "replace"))[0]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return {"error": "exiftool did not return a readable result"}
    tags.pop("SourceFile", None)
    kept = {k: v for k, v in list(tags.items())[:MAX_TAGS] if not str(v).startswith("(Binary data")}
    return {"version": version(), "tag_count": len(tags), "tags": kept}
