"""request_head: the keep-alive path's header reader, against http.client's for the same bytes."""

from __future__ import annotations

import http.client
import io
from http import HTTPStatus

import pytest

from pipeline.serving.request_head import MAX_HEADERS, HeadError, read_headers

HEAD = (b"Host: 127.0.0.1:8501\r\nContent-Length: 130\r\ncontent-type:application/json\r\n"
        b"Connection:  keep-alive \r\n\r\n{\"instances\": []}")


def test_reads_what_http_client_reads_and_leaves_the_body():
    stream = io.BytesIO(HEAD)
    ours = read_headers(stream, http.client.HTTPMessage)
    theirs = http.client.parse_headers(io.BytesIO(HEAD))
    # Optional whitespace around a value is not part of it (RFC 9110 5.5); the email package
    # keeps the trailing part.
    assert ours.items() == [(name, value.strip()) for name, value in theirs.items()]
    assert ours.get("CONTENT-LENGTH") == "130" and ours.get("Connection") == "keep-alive"
    assert stream.read() == b'{"instances": []}'


@pytest.mark.parametrize("head, status, message", [
    (b"Host: a\r\n folded\r\n\r\n", HTTPStatus.BAD_REQUEST, "Bad header line"),
    (b"Content-Length : 3\r\n\r\n", HTTPStatus.BAD_REQUEST, "Bad header line"),
    (b"Bad Header: 1\r\n\r\n", HTTPStatus.BAD_REQUEST, "Bad header line"),
    (b"X: " + b"a" * 70000 + b"\r\n\r\n", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
     "Line too long"),
    (b"X: a\r\n" * (MAX_HEADERS + 1) + b"\r\n", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
     "Too many headers"),
])
def test_refuses_a_bad_header_block_with_its_status(head, status, message):
    with pytest.raises(HeadError, match=message) as refused:
        read_headers(io.BytesIO(head), http.client.HTTPMessage)
    assert refused.value.status == status
