"""Python reads a set in an order that changes with each process (hash randomisation). Sums
over a question's terms must not depend on it: a last-bit difference once flipped a blind
question between answered and refused, from one run to the next."""

from __future__ import annotations

import os
import subprocess
import sys

# idf values whose float sum depends on the order they are added in
_SNIPPET = """
from bot.answering.coverage import term_coverage
idf = {f"t{i}": v for i, v in enumerate([0.1, 0.2, 0.3, 0.7, 1.1, 1.3, 2.9, 0.01, 1e8, 3.7, 5.3])}
print(repr(term_coverage(list(idf), idf, set(list(idf)[:9]))))
"""


def test_coverage_is_the_same_whatever_order_a_set_is_read_in() -> None:
    results = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        out = subprocess.run(
            [sys.executable, "-c", _SNIPPET], env=env, capture_output=True, text=True, check=True
        )
        results.add(out.stdout.strip())
    assert len(results) == 1, results
