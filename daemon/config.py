"""The config file: TOML in, frozen dataclasses out, every problem reported at once.

Each section is a dataclass whose fields carry ``metadata={"doc": ...}``; the same
fields drive validation, and a test checks that ``config.example.toml`` documents
every one of them. Source and writer tables are validated against the ``Options``
dataclass of the connector their ``type`` names (see ``connectors.base``).

A field whose metadata has ``"path": True`` names files: ``~`` is expanded and a
relative path is taken from the config file's folder, so every command, and the
daemon whatever its working folder, reads and writes the same files.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors import base

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(Exception):
    """The config file cannot be used; ``problems`` lists each key and what is wrong."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        listing = "; ".join(problems)
        super().__init__(f"{path}: {listing}")


def doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class Me:
    name: str = doc("Your name as others write it", default="")
    emails: list[str] = doc("Your own addresses and aliases: decide the direction of every message", default_factory=list)
    linkedin_url: str = doc("Your LinkedIn profile URL: tells your own messages in messages.csv", default="")
    timezone: str = doc("IANA zone for the block and the workday; empty = the system zone", default="")


@dataclass(frozen=True)
class Picking:
    per_day: int = doc("How many people a day", default=5)
    days: list[str] = doc("Days with a block", default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    cooldown_days: int = doc("Never pick someone in touch within this many days", default=90)
    max_per_company: int = doc("At most this many from one company a day", default=2)
    cadence: dict[str, int] = doc("Per-tag cadence in days, e.g. { mentor = 60 }; others: one full rotation", default_factory=dict)
    at: str = doc("When the day's five are chosen and the block written (HH:MM, your zone)", default="07:00")


@dataclass(frozen=True)
class BlockSettings:
    title: str = doc("The block's title", default="Connect 5")
    time: str = doc("Start time, HH:MM in your zone", default="09:00")
    minutes: int = doc("Length of the block", default=5)
    writer: str = doc("Where the block goes: ics | google | outlook", default="ics")
    opener: str = doc("Suggested opener template: {first_name} {name} {company} {position} {last_touch}", default="")
    options: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})


@dataclass(frozen=True)
class Source:
    name: str
    type: str
    options: Any


@dataclass(frozen=True)
class Config:
    path: Path
    me: Me = field(default_factory=Me)
    picking: Picking = field(default_factory=Picking)
    block: BlockSettings = field(default_factory=BlockSettings)
    sources: tuple[Source, ...] = ()

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(address.strip().lower() for address in self.me.emails)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def load(path: Path, *, missing_ok: bool = True) -> Config:
    """Read and validate ``path``; a missing file gives the defaults when ``missing_ok``."""
    if not path.exists():
        if missing_ok:
            return Config(path=path)
        raise ConfigError(path, ["file not found (run `connect5 init`)"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"unreadable: {error}"]) from None
    return load_text(text, path)


def parse(raw: dict[str, Any], path: Path) -> Config:
    problems: list[str] = []
    known = {"me", "picking", "block", "sources"}
    for key in raw:
        if key not in known:
            problems.append(f"[{key}]: unknown section (known: {', '.join(sorted(known))})")
    me = _section(Me, raw.get("me", {}), "me", problems)
    picking = _section(Picking, raw.get("picking", {}), "picking", problems)
    block = _block(raw.get("block", {}), problems)
    sources = _sources(raw.get("sources", []), problems)
    if me is not None:
        _check_me(me, problems)
    if picking is not None:
        _check_picking(picking, problems)
    if block is not None and dataclasses.is_dataclass(block.options):
        problems += _path_problems(block.options, "block")
    for source in sources:
        problems += _path_problems(source.options, f"sources.{source.name}")
    if problems:
        raise ConfigError(path, problems)
    folder = Path(os.path.abspath(path)).parent
    if block is not None and dataclasses.is_dataclass(block.options):  # {}: the writer's defaults, no path given
        block = dataclasses.replace(block, options=_anchored(block.options, folder))
    sources = [dataclasses.replace(source, options=_anchored(source.options, folder)) for source in sources]
    return Config(path=path, me=me, picking=picking, block=block, sources=tuple(sources))


def _anchored(options: Any, folder: Path) -> Any:
    """``options`` with the values of its ``"path"`` fields made absolute (see the module's doc)."""
    changes = {}
    for option in dataclasses.fields(options):
        value = getattr(options, option.name)
        if not option.metadata.get("path") or not value:
            continue
        if isinstance(value, str):
            changes[option.name] = _anchor(value, folder)
        elif isinstance(value, (list, tuple)):
            changes[option.name] = type(value)(_anchor(item, folder) for item in value)
    return dataclasses.replace(options, **changes) if changes else options


def _path_problems(options: Any, where: str) -> list[str]:
    """An empty entry in a list of paths would mean the working folder; blanks name no file."""
    problems = []
    for option in dataclasses.fields(options):
        value = getattr(options, option.name)
        if not option.metadata.get("path"):
            continue
        items = value if isinstance(value, (list, tuple)) else [value] if value else []
        if any(not isinstance(item, str) or not item.strip() for item in items):
            problems.append(f"{where}.{option.name}: an empty path names no file or folder")
    return problems


def _anchor(value: str, folder: Path) -> str:
    """``value`` from ``folder``, tidied as text as ``daemon.where.absolute`` tidies paths (``..`` before links)."""
    return os.path.normpath(os.path.join(folder, os.path.expanduser(value)))


def _check_me(me: Me, problems: list[str]) -> None:
    if me.timezone:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(me.timezone)
        except (KeyError, ValueError, OSError):
            problems.append(f"me.timezone: unknown time zone {me.timezone!r}")
    for address in me.emails:
        if "@" not in address:
            problems.append(f"me.emails: {address!r} is not an e-mail address")


def _check_picking(picking: Picking, problems: list[str]) -> None:
    if picking.per_day < 1 or picking.per_day > 50:
        problems.append(f"picking.per_day: must be between 1 and 50, not {picking.per_day}")
    for day in picking.days:
        if day not in WEEKDAYS:
            problems.append(f"picking.days: {day!r} is not one of {', '.join(WEEKDAYS)}")
    if not picking.days:
        problems.append("picking.days: at least one day is needed")
    if picking.cooldown_days < 0:
        problems.append("picking.cooldown_days: must not be negative")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", picking.at):
        problems.append(f"picking.at: {picking.at!r} is not HH:MM")
    if picking.max_per_company < 1:
        problems.append("picking.max_per_company: must be at least 1")
    for tag, days in picking.cadence.items():
        if days < 1:
            problems.append(f"picking.cadence.{tag}: must be at least 1 day")


def _block(table: Any, problems: list[str]) -> BlockSettings | None:
    if not isinstance(table, dict):
        problems.append("[block]: must be a table")
        return None
    common = {f.name for f in dataclasses.fields(BlockSettings) if not f.metadata.get("internal")}
    settings = _section(BlockSettings, {k: v for k, v in table.items() if k in common}, "block", problems)
    if settings is None:
        return None
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", settings.time):
        problems.append(f"block.time: {settings.time!r} is not HH:MM")
    if not 1 <= settings.minutes <= 240:
        problems.append(f"block.minutes: must be between 1 and 240, not {settings.minutes}")
    for key in ("title", "opener"):
        # RFC 5545 TEXT has no control characters (a calendar may refuse the whole file); line ends are escaped.
        bad = sorted({f"U+{ord(ch):04X}" for ch in getattr(settings, key) if ord(ch) < 32 and ch not in "\n\t"
                      or 0x7F <= ord(ch) < 0xA0})
        if bad:
            problems.append(f"block.{key}: control characters ({', '.join(bad)}) have no place in a calendar")
    if settings.writer not in base.WRITERS:
        problems.append(f"block.writer: {settings.writer!r} is not one of {', '.join(base.WRITERS)}")
        return settings
    rest = {k: v for k, v in table.items() if k not in common}
    if not rest:
        # The writer's own keys all take their defaults; its module (and what it imports)
        # loads only when a block is written, which keeps `connect5 today` quick.
        return settings
    writer = base.writer_class(settings.writer)
    own = {f.name for f in dataclasses.fields(writer.Options)}
    for key in [key for key in rest if key not in own]:
        # Only on this error path are the other writers' modules (and libraries) loaded.
        owners = [name for name in base.WRITERS if name != settings.writer
                  and key in {f.name for f in dataclasses.fields(base.writer_class(name).Options)}]
        if owners:
            problems.append(f"block.{key}: a key of writer = {' or '.join(map(repr, owners))};"
                            f" this config's writer is {settings.writer!r}")
            del rest[key]
    options = _section(writer.Options, rest, "block", problems, also_known=common)
    return dataclasses.replace(settings, options=options)


def _sources(tables: Any, problems: list[str]) -> list[Source]:
    if not isinstance(tables, list):
        problems.append("sources: must be an array of tables ([[sources]])")
        return []
    sources, names = [], set()
    for index, table in enumerate(tables):
        where = f"sources[{index}]"
        name, type_name = table.get("name"), table.get("type")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
            problems.append(f"{where}.name: needs a name of letters, digits, - _ .")
            continue
        where = f"sources.{name}"
        if name in names:
            problems.append(f"{where}: the name is used twice")
        names.add(name)
        if type_name is None:
            problems.append(f"{where}.type: missing; say one of {', '.join(base.SOURCES)}")
            continue
        if type_name not in base.SOURCES:
            problems.append(f"{where}.type: {type_name!r} is not one of {', '.join(base.SOURCES)}")
            continue
        rest = {k: v for k, v in table.items() if k not in ("name", "type")}
        options = _section(base.source_class(type_name).Options, rest, where, problems)
        if options is not None:
            sources.append(Source(name=name, type=type_name, options=options))
    return sources


def _section(cls: type, table: Any, where: str, problems: list[str], also_known=()) -> Any:
    """Build dataclass ``cls`` from ``table``, adding a problem per bad key.

    ``also_known``: keys of the same TOML table read elsewhere, named with the known ones.
    """
    if not isinstance(table, dict):
        problems.append(f"[{where}]: must be a table")
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values = {}
    for key, value in table.items():
        if key not in fields:
            problems.append(f"{where}.{key}: unknown key (known: {', '.join(sorted({*fields, *also_known}))})")
            continue
        wrong = _type_problem(value, hints[key])
        if wrong:
            problems.append(f"{where}.{key}: {wrong}")
            continue
        values[key] = value
    # Bad keys fall back to their defaults so the remaining checks still run and
    # every problem is reported in one go; parse() refuses the config anyway.
    section = cls(**values)
    # A connector's Options may check its own values (a range, a combination) here.
    problems.extend(f"{where}.{problem}" for problem in getattr(section, "problems", list)())
    return section


def _type_problem(value: Any, hint: Any) -> str:
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return ""
        problems = [_type_problem(value, argument) for argument in arguments if argument is not type(None)]
        return "" if any(p == "" for p in problems) else problems[0]
    if hint is Any:
        return ""
    if origin is list:
        if not isinstance(value, list):
            return f"must be a list, not {_kind(value)}"
        item = arguments[0] if arguments else Any
        for entry in value:
            wrong = _type_problem(entry, item)
            if wrong:
                return f"every entry {wrong}"
        return ""
    if origin is dict:
        if not isinstance(value, dict):
            return f"must be a table, not {_kind(value)}"
        item = arguments[1] if len(arguments) > 1 else Any
        for key, entry in value.items():
            wrong = _type_problem(entry, item)
            if wrong:
                return f"{key}: {wrong}"
        return ""
    if hint is bool:
        return "" if isinstance(value, bool) else f"must be true or false, not {_kind(value)}"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return "" if ok else f"must be a whole number, not {_kind(value)}"
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return "" if ok else f"must be a number, not {_kind(value)}"
    if hint is str:
        return "" if isinstance(value, str) else f"must be a string, not {_kind(value)}"
    return ""


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} {shown}"


def load_text(text: str, path: Path) -> Config:
    """Validate config ``text`` as if read from ``path``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"not valid TOML: {error}"]) from None
    return parse(raw, path)
