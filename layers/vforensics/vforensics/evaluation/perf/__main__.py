"""``python -m vforensics.evaluation.perf``: the same as ``vforensics perf``."""

import sys

from vforensics.evaluation.perf import main

sys.exit(main())
