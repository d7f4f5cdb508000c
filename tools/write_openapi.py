"""Write docs/openapi.json from the API's routes (``vforensics.api.routes``).

.venv/bin/python tools/write_openapi.py           # rewrite it
.venv/bin/python tools/write_openapi.py --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vforensics.api.routes import openapi_document

TARGET = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is out of date")
    args = parser.parse_args(argv)
    document = openapi_document() + "\n"
    if args.check:
        if not TARGET.is_file() or TARGET.read_text() != document:
            print(f"{TARGET} is out of date: run tools/write_openapi.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(document)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
