"""request_head: request heads parsed from received bytes, against http.client's reading."""

from __future__ import annotations

import http.client
import io
from http import HTTPStatus

import pytest

from pipeline.serving.request_head import MAX_HEADERS, HeadError, parse_head

HEAD = (b"Host: 127.0.0.1:8501\r\nContent-Length: 130\r\ncontent-type:application/json\r\n"
        b"Connection:  keep-alive \r\n\r\n")
BODY = b'{"instances": []}'


def test_reads_what_http_client_reads_and_says_where_the_body_starts():
    data = b"POST /v1/models/m:predict HTTP/1.1\r\n" + HEAD + BODY
    head = parse_head(data)
    theirs = http.client.parse_headers(io.BytesIO(HEAD))
    # Optional whitespace around a value is not part of it (RFC 9110 5.5); the email package
    # keeps the trailing part.
    assert head.headers == {name.lower(): value.strip() for name, value in theirs.items()}
    assert (head.method, head.target, head.version) == ("POST", "/v1/models/m:predict",
                                                        "HTTP/1.1")
    assert head.header("content-length") == "130" and head.keep_alive
    assert data[head.size:] == BODY


def test_an_unfinished_head_waits_for_more_bytes():
    data = b"POST /v1/models/m:predict HTTP/1.1\r\n" + HEAD
    assert all(parse_head(data[:n]) is None for n in range(len(data) - 1))
    bare = data.replace(b"\r\n", b"\n")  # lines ended by a bare LF, as some clients send
    assert parse_head(bare).size == len(bare)


@pytest.mark.parametrize("line, connection, keep", [
    (b"GET / HTTP/1.1", b"", True), (b"GET / HTTP/1.1", b"Connection: close\r\n", False),
    (b"GET / HTTP/1.0", b"", False), (b"GET / HTTP/1.0", b"Connection: Keep-Alive\r\n", True),
])
def test_keep_alive_follows_the_version_and_the_connection_header(line, connection, keep):
    assert parse_head(line + b"\r\n" + connection + b"\r\n").keep_alive is keep


@pytest.mark.parametrize("head, status, message", [
    (b"Host: a\r\n folded\r\n\r\n", HTTPStatus.BAD_REQUEST, "Bad header line"),
    (b"Content-Length : 3\r\n\r\n", HTTPStatus.BAD_REQUEST, "Bad header line"),
    (b"Bad Header: 1\r\n\r\n", HTTPStatus.BAD_REQUEST, "Bad header line"),
    (b"X: " + b"a" * 70000 + b"\r\n\r\n", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
     "Line too long"),
    (b"X: a\r\n" * (MAX_HEADERS + 1) + b"\r\n", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
     "Too many headers"),
    (b"X: " + b"a" * 200000, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "head too large"),
])
def test_refuses_a_bad_header_block_with_its_status(head, status, message):
    with pytest.raises(HeadError, match=message) as refused:
        parse_head(b"POST / HTTP/1.1\r\n" + head)
    assert refused.value.status == status


@pytest.mark.parametrize("line, status", [
    (b"GARBAGE\r\n\r\n", HTTPStatus.BAD_REQUEST),
    (b"GET / HTTP/2.0\r\n\r\n", HTTPStatus.HTTP_VERSION_NOT_SUPPORTED),
    (b"GET /a b HTTP/1.1\r\n\r\n", HTTPStatus.BAD_REQUEST),
])
def test_refuses_a_bad_request_line(line, status):
    with pytest.raises(HeadError) as refused:
        parse_head(line)
    assert refused.value.status == status
