"""An HTTP/1.x request head (request line and headers) parsed from the bytes received so far."""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

MAX_LINE = 65536  # http.client's limits
MAX_HEADERS = 100
MAX_HEAD = MAX_LINE + MAX_HEADERS * 1024  # a head still unfinished after this many bytes
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a field name (RFC 9110 5.1)


class HeadError(Exception):
    """A request head the server refuses: `status` says how."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Head:
    """method, target and version of the request line; headers by lower-case name."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    size: int  # bytes of the head, blank line included: the body starts here

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only if asked."""
        connection = self.header("connection").lower()
        if self.version == "HTTP/1.1":
            return connection != "close"
        return connection == "keep-alive"


def parse_head(data: bytes) -> Head | None:
    """The head at the start of `data`, or None until its blank line has arrived.

    Lines end in CRLF or a bare LF, as the standard library's server accepts. Folded
    (obs-fold) lines are refused, as RFC 9112 allows; so are field names that are not tokens
    (whitespace before the colon, for one), lines over 64 KiB and more than 100 headers.
    """
    end, blank = _head_end(data)
    if end < 0:
        if len(data) > MAX_HEAD:
            raise HeadError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request head too large")
        return None
    lines = data[:end].decode("iso-8859-1").split("\n")
    request_line = lines[0].rstrip("\r")
    words = request_line.split()
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        raise HeadError(HTTPStatus.BAD_REQUEST, f"Bad request line {request_line[:80]!r}")
    method, target, version = words
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HeadError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                        f"Invalid HTTP version ({version[:20]})")
    if len(lines) - 1 > MAX_HEADERS:
        raise HeadError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
    headers = {}
    for line in lines[1:]:
        if len(line) > MAX_LINE:
            raise HeadError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
        name, colon, value = line.rstrip("\r").partition(":")
        if not colon or not TOKEN.fullmatch(name):
            raise HeadError(HTTPStatus.BAD_REQUEST, f"Bad header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    return Head(method, target, version, headers, end + blank)


def _head_end(data: bytes) -> tuple[int, int]:
    """(where the head's last line ends, the blank line's length), or (-1, 0)."""
    crlf, lf = data.find(b"\r\n\r\n"), data.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, 4
    if lf >= 0:
        return lf, 2
    return -1, 0
