"""The Maildir mail source: the headers of every message in one or more local Maildirs.

``sync`` lists the ``new/`` and ``cur/`` directories of every folder below the
configured roots, reads the header block of each file it has not handled yet
(never a body) and yields ``MailItem`` batches with a cursor after each (see
``connectors.maildir.cursor`` for what the cursor promises). ``watch`` wakes the
daemon when a file lands.

An item's ``external_id`` is the Maildir unique name (the file name before
``:2,FLAGS``) without the folder, so a message that is re-flagged or moved to
another folder stays the same item; the same message filed twice (INBOX and All
Mail) has two unique names but one ``message_id``, which the daemon counts once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from connectors.base import SourceContext, SourceUnavailable, Watcher
from connectors.files import name_as_text
from connectors.maildir import cursor as scan_cursor
from connectors.maildir.cursor import FolderScan, ScanState
from connectors.maildir.folders import (
    UNREADABLE_GRACE_NS,
    Entry,
    Folder,
    find_folders,
    is_draft,
    list_entries,
)
from connectors.maildir.message import (
    SETTLING_NS,
    Identity,
    MessageNotReadyError,
    UnreadableMessageError,
    build_item,
    read_header_block,
)
from connectors.records import Batch, MailItem

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
DEFAULT_SENT_FOLDERS = (
    "Sent", "Sent Items", "Sent Mail", "Sent Messages", "Gesendet", "Gesendete Objekte",
    "Gesendete Elemente", "Envoyés", "Éléments envoyés", "Enviados", "Elementos enviados",
    "Inviata", "Posta inviata", "Verzonden", "Verzonden items", "Skickat", "Wysłane",
)  # fmt: skip
# Unsent drafts (a mail client saves them as you type) and junk are nobody writing to
# anybody; Gmail's and Outlook's connectors leave them out by label and flag.
DEFAULT_SKIPPED_FOLDERS = (
    "Drafts", "Draft", "Entwürfe", "Brouillons", "Borradores", "Rascunhos", "Bozze", "Concepten", "Utkast",
    "Kladder", "Kladde", "Luonnokset", "Kopie robocze", "Koncepty", "Черновики", "Taslaklar",
    "Junk", "Junk E-mail", "Junk Email", "Junk-E-Mail", "Junk Mail", "Spam", "Bulk Mail", "Spamverdacht",
    "Courrier indésirable", "Correo no deseado", "Posta indesiderata", "Ongewenste e-mail", "Skräppost",
    "Uønsket e-post", "Uønsket post", "Roskaposti", "Lixo Eletrônico", "Lixo Electrónico", "Wiadomości-śmieci",
    "Спам", "Нежелательная почта", "Gereksiz", "Nevyžádaná pošta",
)  # fmt: skip
# How many distinct unknown senders found in sent folders are named in the log.
_SENT_HINT_LIMIT = 3


class MaildirSource:
    """Mail from local Maildir folders (Maildir++ or nested), headers only."""

    kind = "mail"

    @dataclass(frozen=True)
    class Options:
        path: list[str] = field(
            default_factory=list,
            metadata={"doc": "Maildir roots (~ expanded); every folder with cur/ and new/ below each is read",
                      "path": True},
        )
        sent_folders: list[str] = field(
            default_factory=lambda: list(DEFAULT_SENT_FOLDERS),
            metadata={
                "doc": "folder names that hold sent mail; direction still comes from [me] emails, "
                "but mail in these from another address is logged as a possible missing alias"
            },
        )
        skip_folders: list[str] = field(
            default_factory=lambda: list(DEFAULT_SKIPPED_FOLDERS),
            metadata={"doc": "folder names never read: drafts (never sent) and junk; a message flagged as a draft"
                      " is skipped in any folder"},
        )
        backfill_months: int = field(
            default=24,
            metadata={"doc": "on the first read of a folder, skip messages older than this (0 = read all)"},
        )

    def __init__(self, options: Options, context: SourceContext):
        paths = [options.path] if isinstance(options.path, str) else list(options.path)
        self.roots = [os.path.abspath(os.path.expanduser(path)) for path in paths]
        self.options = options
        self.context = context
        self._identity = Identity.of(context.name, context.own_addresses)
        self._sent_names = frozenset(name.casefold() for name in options.sent_folders)
        self._skipped_names = frozenset(name.casefold() for name in options.skip_folders)
        self._unknown_senders: set[str] = set()
        self._sent_folders: dict[str, bool] = {}
        self._skipped: list[tuple[str, str]] = []  # since the last batch: what could not be read, and why
        self._retry_in: float | None = None  # seconds until a file maybe still being written has settled

    def folders(self) -> list[Folder]:
        """Every folder below the roots but drafts and junk; a missing root makes the source unavailable."""
        found: list[Folder] = []
        for root in self.roots:
            if not os.path.isdir(root):
                raise SourceUnavailable(f"Maildir {root} does not exist or is not a directory")
            found.extend(folder for folder in find_folders(root) if not self._is_skipped(folder))
        return found

    def sync(self, cursor: str | None) -> Iterator[Batch[MailItem]]:
        previous = scan_cursor.decode(cursor) if cursor else ScanState()
        now_ns = time.time_ns()
        settled_ns = now_ns - scan_cursor.LATE_ARRIVAL_NS
        cutoff_ns = self._backfill_cutoff_ns(now_ns)
        scans = []
        for folder in self.folders():
            floor = previous.floors.get(folder.path)
            fresh = floor is None
            entries, complete = list_entries(folder)
            scans.append(FolderScan(folder, entries, cutoff_ns if fresh else floor, fresh, previous.seen, complete))
        total = sum(len(scan.candidates) for scan in scans)
        handled: set[str] = set()
        items: list[MailItem] = []
        self._skipped = []
        self._retry_in = None
        done = 0
        first = True
        for scan in scans:
            for entry in scan.candidates:
                item = self._read(scan, entry, handled, now_ns, cutoff_ns)
                scan.position += 1
                done += 1
                if item is not None:
                    items.append(item)
                if len(items) >= BATCH_SIZE:
                    next_cursor = scan_cursor.cursor_after(scans, handled, previous, settled_ns)
                    yield Batch(tuple(items), next_cursor, full_resync=first and cursor is None, progress=(done, total),
                                skipped=self._take_skipped())
                    items = []
                    first = False
        final_cursor = scan_cursor.cursor_after(scans, handled, previous, settled_ns)
        if items or first or final_cursor != cursor or self._skipped or self._retry_in is not None:
            yield Batch(tuple(items), final_cursor, full_resync=first and cursor is None, progress=(done, total),
                        skipped=self._take_skipped(), retry_in=self._retry_in)

    def _take_skipped(self) -> tuple[tuple[str, str], ...]:
        skipped, self._skipped = tuple(self._skipped), []
        return skipped

    def _backfill_cutoff_ns(self, now_ns: int) -> int:
        months = self.options.backfill_months
        if months <= 0:
            return 0
        return now_ns - int(timedelta(days=months * 30.44).total_seconds()) * 1_000_000_000

    def _read(self, scan: FolderScan, entry: Entry, handled: set[str], now_ns: int, cutoff_ns: int) -> MailItem | None:
        """The item for ``entry``, or None when it is skipped (handled) or deferred (not handled)."""
        if entry.unique in handled:
            return None  # the same file seen in an earlier folder during this sync
        if scan.fresh and cutoff_ns and entry.mtime_ns < cutoff_ns:
            handled.add(entry.unique)
            return None  # delivered before the backfill began: not even read
        if is_draft(entry.path):
            handled.add(entry.unique)
            return None  # saved while being written, never sent: sending makes another file
        try:
            # Settled or not is the modification time's to say: it moves with every write.
            block = read_header_block(entry.path, entry.mtime_ns, now_ns)
            item = build_item(block, name_as_text(entry.unique), entry.mtime_ns, self._identity)
        except FileNotFoundError:
            # Gone, or renamed (new/ -> cur/, another folder) since the listing: not
            # handled, so the next sync looks again.
            scan.deferred.append(entry)
            return None
        except MessageNotReadyError:
            # Maybe still being written, by a tool that does not use tmp/: looked at again
            # once it has settled, or sooner if it changes.
            scan.deferred.append(entry)
            settled_in = (SETTLING_NS - (now_ns - entry.mtime_ns)) / 1e9 + 1
            self._retry_in = min(self._retry_in or settled_in, settled_in)
            return None
        except UnreadableMessageError as error:
            self._skip(entry.path, str(error))
            handled.add(entry.unique)
            return None
        except PermissionError as error:
            if now_ns - entry.changed_ns < UNREADABLE_GRACE_NS:
                # Often for a moment (a tool delivering with a tight mode, then chmod): not
                # handled, so each sync tries it again; it shows in `status` meanwhile.
                self._skip(entry.path, f"cannot read it yet ({error.strerror or error}); tried again at each sync")
                scan.deferred.append(entry)
                return None
            # Unreadable for long: skipped for good, or the folder's cursor would wait for it forever.
            self._skip(entry.path, f"cannot read it ({error.strerror or error})")
            handled.add(entry.unique)
            return None
        except OSError as error:
            self._skip(entry.path, f"cannot read it ({error.strerror or error})")
            handled.add(entry.unique)
            return None
        handled.add(entry.unique)
        if scan.fresh and cutoff_ns and item.sent_at.timestamp() * 1e9 < cutoff_ns:
            return None  # older than the backfill, though delivered recently
        self._check_sent_folder(scan.folder, item)
        return item

    def _is_skipped(self, folder: Folder) -> bool:
        # Also the last part of a flattened name: mbsync's `Flatten .` makes "[Gmail].Drafts".
        leaf = folder.leaf.casefold()
        return leaf in self._skipped_names or leaf.rpartition(".")[2] in self._skipped_names

    def _skip(self, path: str, reason: str) -> None:
        logger.warning("Skipping %s: %s", path, reason)
        self._skipped.append((path, reason))

    def _is_sent_folder(self, folder: Folder) -> bool:
        known = self._sent_folders.get(folder.path)
        if known is None:
            known = self._sent_folders[folder.path] = folder.leaf.casefold() in self._sent_names
        return known

    def _check_sent_folder(self, folder: Folder, item: MailItem) -> None:
        if item.direction == "out" or item.sender is None or not self._is_sent_folder(folder):
            return
        if len(self._unknown_senders) < _SENT_HINT_LIMIT and item.sender.email not in self._unknown_senders:
            self._unknown_senders.add(item.sender.email)
            logger.info(
                "Folder %s holds mail from %s, which is not one of your addresses; "
                "if it is yours, add it to [me] emails",
                folder.path,
                item.sender.email,
            )

    def watch(self, wake: Callable[[], None]) -> Watcher:
        """Call ``wake()`` (debounced) when a message lands in any folder below the roots."""
        # Imported here: watchdog takes ~30 ms to import, and `connect5 sync` never watches.
        from connectors.maildir.watch import MaildirWatcher

        return MaildirWatcher(self.roots, wake)


__all__ = ["DEFAULT_SENT_FOLDERS", "DEFAULT_SKIPPED_FOLDERS", "MaildirSource"]
