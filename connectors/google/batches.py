"""Google batch requests on the wire: a multipart/mixed body of GETs out, its parts back.

A batch is one POST whose body holds one ``application/http`` part per request
and whose answer holds one part per request, matched by Content-ID with a
``response-`` prefix (https://developers.google.com/workspace/gmail/api/guides/batch).
Headers of the outer request, Authorization included, apply to every part, so a
GET part is its request line alone.

googleapiclient's ``BatchHttpRequest`` builds each part as a discovery
``HttpRequest`` (URI template, query encoding) and runs the body and the answer
through the ``email`` package with header folding: for a 50-part batch of
``messages.get`` that was most of a backfill's CPU time. Both directions are
plain text, written and read here with ``bytes`` operations.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


class BatchFormatError(ValueError):
    """The answer to a batch is not the multipart/mixed we asked for."""


@dataclass
class Part:
    """One request's answer inside a batch answer."""

    status: int
    headers: dict[str, str]  # names lower-cased
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content) if self.content.strip() else None

    def get(self, name: str, default: str | None = None) -> str | None:
        """Header look-up, so a Part can stand where an ``httplib2.Response`` is read."""
        return self.headers.get(name, default)


def body(targets: list[tuple[str, str]]) -> tuple[str, bytes]:
    """(Content-Type, body) of a batch of GETs; ``targets`` are (Content-ID, path with query)."""
    boundary = "===============" + secrets.token_hex(12) + "=="
    head = f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <"
    chunks = [f"{head}{key}>\r\n\r\nGET {target} HTTP/1.1\r\n\r\n" for key, target in targets]
    chunks.append(f"--{boundary}--\r\n")
    return f'multipart/mixed; boundary="{boundary}"', "".join(chunks).encode()


def parse(content_type: str, content: bytes) -> dict[str, Part]:
    """The parts of a batch answer by Content-ID (without the ``response-`` prefix)."""
    match = _BOUNDARY.search(content_type)
    if not match:
        raise BatchFormatError(f"a batch answer that is not multipart: {content_type!r}")
    parts: dict[str, Part] = {}
    for chunk in content.split(b"--" + match.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        mime_head, rest = _split_head(chunk.lstrip(b"\r\n"))
        http_head, payload = _split_head(rest)
        key = _headers(mime_head.split(b"\n")).get("content-id", "").strip("<>").removeprefix("response-")
        status_line, *header_lines = http_head.split(b"\n")
        try:
            status = int(status_line.split(None, 2)[1])
        except (IndexError, ValueError):
            raise BatchFormatError(f"a batch part without a status line: {status_line[:80]!r}") from None
        # The part ends with the CRLF that precedes the next delimiter (RFC 2046 5.1.1).
        parts[key] = Part(status, _headers(header_lines), payload.rstrip(b"\r\n"))
    return parts


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    """Headers and what follows the blank line; Google writes CRLF, others may write LF."""
    crlf, lf = data.find(b"\r\n\r\n"), data.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return data[:crlf], data[crlf + 4:]
    if lf >= 0:
        return data[:lf], data[lf + 2:]
    return data, b""


def _headers(lines: list[bytes]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, colon, value = line.decode("latin-1").partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers
