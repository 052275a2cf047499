"""Benchmark: building the name index over 30,000 contacts and a prefix lookup.

Run: .venv/bin/python bench/name_index.py
"""

from __future__ import annotations

import random
import string
import time

from rules.names import NameIndex


def main() -> None:
    generator = random.Random(5)

    def word(length: int) -> str:
        return "".join(generator.choice(string.ascii_lowercase) for _ in range(length)).title()

    pairs = [(f"key-{number}", f"{word(5)} {word(8)}") for number in range(30_000)]
    pairs[::50] = [(f"odd-{number}", f"Dr. {word(4)} Q. Ålvàrez, PhD (she/her)") for number in range(600)]
    builds = []
    for _ in range(5):
        started = time.perf_counter()
        index = NameIndex(pairs)
        builds.append(time.perf_counter() - started)
    started = time.perf_counter()
    index.prefix_lookup("ab")
    lookup = time.perf_counter() - started
    print(f"name index, 30,000 contacts: build best {min(builds) * 1000:.1f} ms, median "
          f"{sorted(builds)[2] * 1000:.1f} ms; prefix lookup {lookup * 1000:.2f} ms")


if __name__ == "__main__":
    main()
