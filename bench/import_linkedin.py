"""Benchmark: parsing a 30,000-row LinkedIn Connections.csv (LinkedIn's cap).

Generates a 2024-format export (preamble, header, realistic names with pronouns,
credentials and the odd emoji, quoted companies and positions, hidden members)
into a temporary folder and times ``read_export`` on it, best of 5.

    .venv/bin/python bench/import_linkedin.py [ROWS]

The whole import (parse + store) should take at most 2 s, so parsing should stay
well under 1 s.
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.linkedin import read_export  # noqa: E402

FIRST = ["Ada", "Ben", "Cleo", "Dev", "Esme", "Farid", "Gala", "Hugo", "Ines", "Jonas", "Kiri", "Lars", "Mina",
         "Nils", "Oona", "Pia", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xiu", "Yara", "Zeno",
         "Jürgen", "Zoë", "François", "Łukasz", "Søren", "Ayşe", "José", "Chloé"]
LAST = ["Abara", "Brandt", "Castillo", "Dumont", "Eriksen", "Fontaine", "Gallo", "Haddad", "Ibsen", "Jovanovic",
        "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Sato", "Tanaka",
        "Müller", "Nguyễn", "O'Neil", "van der Berg", "García-López"]
DECORATION = ["", "", "", "", "", "", ", PhD", ", MBA", " (she/her)", " (he/him)", ", CPA, CFA", " 🚀", "\t"]
COMPANIES = ["Adyen", "Siemens", "Capgemini", "Boston Consulting Group (BCG)", "Kind Lending, LLC",
             "Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ) GmbH", "Café Roma, Maximilienstr. 33",
             "Wageningen University & Research", "Self-employed", ""]
POSITIONS = ["Founder & CEO", "Software Engineer", "Vice President, Head of Delivery", "Product Manager",
             'Senior "Data" Scientist', "Geschäftsführer", "Research Assistant | Ph.D. candidate", ""]
PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are missing. '
    "You will only see email addresses for connections who have allowed their connections to see or download "
    'their email address using this setting https://www.linkedin.com/psettings/privacy/email."\n'
    "\n"
)


def generate(path: Path, rows: int, seed: int = 5) -> None:
    randomness = random.Random(seed)
    day = date(2024, 10, 9)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(PREAMBLE)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"])
        for number in range(rows):
            day -= timedelta(days=randomness.random() < 0.3)
            when = day.strftime("%d %b %Y")
            if randomness.random() < 0.014:
                writer.writerow(["", "", "", "", "", "", when])
                continue
            first = randomness.choice(FIRST)
            last = randomness.choice(LAST) + randomness.choice(DECORATION)
            slug = f"{first.lower()}-{number:08x}"
            email = f"{slug}@example.com" if randomness.random() < 0.05 else ""
            writer.writerow([first, last, f"https://www.linkedin.com/in/{slug}", email,
                             randomness.choice(COMPANIES), randomness.choice(POSITIONS), when])


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Connections.csv"
        generate(path, rows)
        timings, processor = [], []
        for _ in range(5):
            started, started_processor = time.perf_counter(), time.process_time()
            export = read_export(path)
            timings.append(time.perf_counter() - started)
            processor.append(time.process_time() - started_processor)
        best = min(timings)
        print(f"file: {rows} rows, {path.stat().st_size / 1e6:.1f} MB")
        print(f"read_export: {len(export.contacts)} contacts, {export.hidden_count} hidden, "
              f"{len(export.skipped) - export.hidden_count} other skipped")
        print(f"best of 5: {best:.3f} s wall ({rows / best:,.0f} rows/s), {min(processor):.3f} s CPU; "
              f"all (wall): {', '.join(f'{t:.3f}' for t in timings)}")
        whole_import(path, rows)


def whole_import(path: Path, rows: int) -> None:
    """The full ``connect5 import linkedin`` (process start, parse, store) into a fresh home, best of 3."""
    import subprocess

    walls = []
    for attempt in range(3):
        with tempfile.TemporaryDirectory() as home:
            command = [sys.executable, "-m", "daemon", "--home", home, "import", "linkedin", str(path), "--quiet"]
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append(time.perf_counter() - started)
    print(f"connect5 import linkedin (fresh store, whole command): best {min(walls):.3f} s, "
          f"all {', '.join(f'{t:.3f}' for t in walls)} (goal <= 2 s)")


if __name__ == "__main__":
    main()
