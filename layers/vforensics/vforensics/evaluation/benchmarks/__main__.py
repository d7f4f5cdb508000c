"""``python -m vforensics.evaluation.benchmarks``: every section, then docs/BENCHMARKS.md (``make bench``)."""

import sys

from vforensics.evaluation.benchmarks.runner import main

sys.exit(main())
