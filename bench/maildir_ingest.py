"""Benchmark: reading the headers of a 20,000-message Maildir, against ``notmuch new``.

Generates a Maildir (INBOX, .Sent, .Lists.rust, nested Archive/2024; deterministic
seed) whose messages look like real mail: Received chains, DKIM and ARC
signatures, Authentication-Results, MIME headers, References on replies, list
headers, RFC 2047 names, 3-30 KB per file with filler bodies, a tenth from a set
of "contact" addresses. File mtimes follow the Date header, as after delivery.
Then times, in one run and on the same (warm) files:

(a) ``MaildirSource.sync(None)`` fully consumed, in this process (one core);
(b) the floor: the same files listed, stat-ed, opened, read and closed with no
    parsing, the system calls every reader pays from Python;
(c) ``notmuch new`` on a fresh database (NOTMUCH_CONFIG pointing at a temporary
    config; install with ``apt-get install notmuch``), when notmuch is installed.

    .venv/bin/python bench/maildir_ingest.py [--messages N] [--seed S] [--fresh-mtimes] [--keep DIR]

With ``--keep DIR`` an existing ``DIR/Maildir`` is reused (generating takes ~25 s);
``notmuch new`` then indexes into a fresh database each run.

Goals: at least 20,000 messages/s, and at least 3x notmuch. ``--fresh-mtimes``
leaves every file with a "just downloaded" mtime, the worst case for the cursor
size (every name is listed in it), which is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import SourceContext  # noqa: E402
from connectors.maildir import MaildirSource  # noqa: E402

OWN = "ada@example.com"
WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which but have an "
         "they you were her she there been one all we their has would when if so no will more can out about up "
         "meeting project proposal quarterly review budget launch team thanks regards best lunch call").split()
NAMES = ["Ben Okafor", "Cleo Moreau", "Dev Sato", "Esme Rossi", "Farid Haddad", "Gala Novak", "Hugo Ibsen",
         "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=", "=?UTF-8?B?Wm/DqyBHYXJjw61h?=", "Ines Petrov", '"Kowalski, Lars"']
DOMAINS = ["example.org", "mail.example.net", "corp.example.com", "gmail.example", "outlook.example"]
FOLDERS = [("", 0.6), (".Sent", 0.15), (".Lists.rust", 0.15), ("Archive/2024", 0.1)]


_FILLER: list[str] = []


def filler(randomness: random.Random, size: int) -> str:
    """``size`` characters of body text (a slice of one long random text, for speed)."""
    if not _FILLER:
        lines = (" ".join(randomness.choices(WORDS, k=randomness.randint(8, 14))) for _ in range(2000))
        _FILLER.append("\n".join(lines))
    start = randomness.randrange(0, len(_FILLER[0]) - size) if size < len(_FILLER[0]) else 0
    return _FILLER[0][start : start + size]


def person(randomness: random.Random, contacts: list[str]) -> str:
    if randomness.random() < 0.1:
        return f"{randomness.choice(NAMES)} <{randomness.choice(contacts)}>"
    local = randomness.choice(WORDS) + "." + randomness.choice(WORDS) + str(randomness.randint(1, 999))
    return f"{randomness.choice(NAMES)} <{local}@{randomness.choice(DOMAINS)}>"


def received_chain(randomness: random.Random, when: datetime) -> list[str]:
    hops = []
    for hop in range(randomness.randint(3, 7)):
        stamp = format_datetime(when + timedelta(seconds=hop))
        ip = ".".join(str(randomness.randint(1, 254)) for _ in range(4))
        hops.append(
            f"Received: from mx{hop}.{randomness.choice(DOMAINS)} (mx{hop}.{randomness.choice(DOMAINS)} [{ip}])\n"
            f"\tby mail{hop}.example.com (Postfix) with ESMTPS id {randomness.getrandbits(40):X}\n"
            f"\tfor <{OWN}>; {stamp}"
        )
    return hops


def signature(randomness: random.Random, name: str) -> str:
    blob = "".join(randomness.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", k=344))
    folded = "\n\t".join(blob[i : i + 72] for i in range(0, len(blob), 72))
    return (f"{name}: v=1; a=rsa-sha256; c=relaxed/relaxed; d={randomness.choice(DOMAINS)}; s=s2024;\n"
            f"\th=from:to:subject:date:message-id:references:in-reply-to:mime-version;\n"
            f"\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\tb={folded}")


def message(randomness: random.Random, number: int, folder: str, when: datetime, contacts: list[str]) -> str:
    sender = f"Ada Lovelace <{OWN}>" if folder == ".Sent" else person(randomness, contacts)
    recipient = person(randomness, contacts) if folder == ".Sent" else f"Ada Lovelace <{OWN}>"
    headers = received_chain(randomness, when) + [
        signature(randomness, "DKIM-Signature"),
        signature(randomness, "ARC-Message-Signature"),
        f"Authentication-Results: mx.example.com; dkim=pass header.d={randomness.choice(DOMAINS)}; spf=pass",
        f"From: {sender}",
        f"To: {recipient}",
    ]
    if randomness.random() < 0.3:
        headers.append("Cc: " + ", ".join(person(randomness, contacts) for _ in range(randomness.randint(1, 4))))
    headers += [f"Subject: {'Re: ' if number % 3 else ''}{' '.join(randomness.choices(WORDS, k=5))}",
                f"Date: {format_datetime(when)}", f"Message-ID: <{number}.{randomness.getrandbits(48):x}@example.org>"]
    if number % 3:
        parents = [f"<{randomness.getrandbits(48):x}@example.org>" for _ in range(randomness.randint(1, 6))]
        headers += [f"In-Reply-To: {parents[-1]}", "References: " + "\n ".join(parents)]
    if folder == ".Lists.rust":
        headers += ["List-Id: Rust users <rust-users.lists.example.org>",
                    "List-Unsubscribe: <mailto:rust-users-leave@lists.example.org>", "Precedence: list"]
    headers += ["MIME-Version: 1.0", 'Content-Type: multipart/alternative; boundary="b1_x"',
                "X-Mailer: Bench Mail 1.0", "X-Spam-Status: No, score=-2.1"]
    head = "\n".join(headers) + "\n\n"
    body = filler(randomness, max(0, randomness.randint(3 * 1024, 30 * 1024) - len(head)))
    return head + "--b1_x\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n--b1_x--\n"


def generate(root: Path, count: int, seed: int, fresh_mtimes: bool) -> int:
    randomness = random.Random(seed)
    contacts = [f"contact{index}@{randomness.choice(DOMAINS)}" for index in range(300)]
    for folder, _ in FOLDERS:
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    total = 0
    for number in range(count):
        folder = randomness.choices([f for f, _ in FOLDERS], [w for _, w in FOLDERS])[0]
        when = (now - timedelta(seconds=randomness.randint(60, 700 * 86400))).replace(microsecond=0)
        data = message(randomness, number, folder, when, contacts).encode()
        unique = f"{int(when.timestamp())}.M{number}P{randomness.randint(100, 99999)}.benchhost"
        name = unique + ":2,S" if randomness.random() < 0.85 else unique
        path = root / folder / ("cur" if name != unique else "new") / name
        path.write_bytes(data)
        if not fresh_mtimes:
            os.utime(path, (when.timestamp(), when.timestamp()))
        total += len(data)
    return total


def time_maildir(root: Path) -> tuple[float, float, int, int]:
    source = MaildirSource(MaildirSource.Options(path=[str(root)], backfill_months=0),
                           SourceContext(name="bench", own_addresses=frozenset({OWN})))
    started, cpu_started = time.perf_counter(), time.process_time()
    items, cursor = 0, ""
    for batch in source.sync(None):
        items += len(batch.items)
        cursor = batch.cursor or ""
    return time.perf_counter() - started, time.process_time() - cpu_started, items, len(cursor)


def time_floor(root: Path) -> tuple[float, int]:
    """Cpu seconds of only the system calls any reader makes, from Python: list, stat, open, read, close.

    No parsing, no items: what a message costs before the connector does anything
    of its own, so the gap between this and ``time_maildir`` is the part code can win.
    """
    folders = [os.path.join(path, sub) for path, names, _ in os.walk(root) for sub in ("new", "cur") if sub in names]
    started, count = time.process_time(), 0
    for folder in folders:
        with os.scandir(folder) as scanner:
            for child in scanner:
                child.stat()
                descriptor = os.open(child.path, os.O_RDONLY)
                os.read(descriptor, 8192)
                os.close(descriptor)
                count += 1
    return time.process_time() - started, count


def time_notmuch(root: Path, work: Path) -> float | None:
    if shutil.which("notmuch") is None:
        print("notmuch: not installed (apt-get install notmuch), skipped")
        return None
    shutil.rmtree(root / ".notmuch", ignore_errors=True)  # a fresh index, also for a reused Maildir
    config = work / "notmuch-config"
    config.write_text(f"[database]\npath={root}\n[user]\nprimary_email={OWN}\n[new]\ntags=inbox;unread;\n")
    environment = dict(os.environ, NOTMUCH_CONFIG=str(config))
    subprocess.run(["notmuch", "config", "set", "database.path", str(root)], env=environment, check=True)
    started = time.perf_counter()
    subprocess.run(["notmuch", "new", "--quiet"], env=environment, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--fresh-mtimes", action="store_true")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    arguments = parser.parse_args()
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="connect5-maildir-bench-"))
    root = work / "Maildir"
    try:
        if arguments.keep is not None and root.is_dir():
            print(f"reusing {root} (delete it to generate again)")
        else:
            started = time.perf_counter()
            size = generate(root, arguments.messages, arguments.seed, arguments.fresh_mtimes)
            print(f"generated {arguments.messages} messages, {size / 1e6:.0f} MB, "
                  f"in {time.perf_counter() - started:.1f} s")
        runs = [time_maildir(root) for _ in range(3)]
        wall, cpu, items, cursor_size = min(runs)
        rate = items / wall
        print(f"maildir sync: {items} items in {wall:.3f} s (cpu {cpu:.3f} s, best of 3) = {rate:,.0f} messages/s "
              f"({items / cpu:,.0f} per cpu-second, {cpu / items * 1e6:.0f} cpu-us a message); "
              f"cursor {cursor_size:,} bytes")
        floor_cpu, floor_count = min(time_floor(root) for _ in range(3))
        print(f"floor: list, stat, open, read 8 KB and close alone take {floor_cpu / floor_count * 1e6:.0f} cpu-us a "
              f"message here (best of 3), a ceiling of {floor_count / floor_cpu:,.0f} messages/s before any parsing")
        calibration = time.process_time()
        sum(range(10**7))
        print(f"machine: sum(range(10**7)) takes {time.process_time() - calibration:.3f} cpu-s here "
              f"(about 0.10 on an idle 2023 desktop core); load average {os.getloadavg()[0]:.1f}")
        notmuch = time_notmuch(root, work)
        if notmuch is not None:
            print(f"notmuch new: {arguments.messages} messages in {notmuch:.3f} s = "
                  f"{arguments.messages / notmuch:,.0f} messages/s")
            print(f"ratio: maildir sync is {notmuch / wall:.1f}x notmuch new")
        print(f"goals: >= 20,000 messages/s: {'met' if rate >= 20_000 else 'NOT met'}"
              + (f"; >= 3x notmuch: {'met' if notmuch / wall >= 3 else 'NOT met'}" if notmuch else ""))
    finally:
        if arguments.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
