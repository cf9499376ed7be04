"""Time ratio 100 KB / 10 KB of every regex-driven stage on pathological inputs.

The same stages and inputs as ``tests/test_linear_time.py`` (which asserts the
ratio stays at most 20); this prints the worst and median ratio per stage, so
the numbers behind that test can be quoted. Linear is about 10, quadratic 100.

    .venv/bin/python bench/linear_ratios.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import test_linear_time as t  # noqa: E402


def main() -> int:
    print("| stage | median ratio | worst ratio (input) |")
    print("|---|---|---|")
    for stage_name, stage in t.STAGES.items():
        ratios = {}
        for input_name, make in t.INPUTS.items():
            ratio, _, _ = t._ratio(stage, make(t.SMALL), make(t.LARGE))
            ratios[input_name] = ratio
        worst = max(ratios, key=ratios.get)
        print(f"| {stage_name} | {statistics.median(ratios.values()):.1f} | "
              f"{ratios[worst]:.1f} ({worst}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
