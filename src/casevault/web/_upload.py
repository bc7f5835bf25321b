"""The console's one multipart form — filing a document — read in memory, under caps.

Starlette's own form reader spools a large file to a temporary file on disk:
for a filed document that would put an unsealed copy of personal data on the
disk. This reader feeds the streamed body to python-multipart's push parser and
keeps the parts in memory, refusing the request as soon as the body passes
``MAX_UPLOAD_BYTES``, a part repeats, or there are more than ``MAX_PARTS``; the
content is sealed by the write path before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from casevault.access._media import MAX_DOCUMENT_BYTES
from casevault.errors import InvalidValue

MAX_PARTS: Final = 8
MAX_TEXT_BYTES: Final = 4096
MAX_UPLOAD_BYTES: Final = MAX_DOCUMENT_BYTES + 64 * 1024
"""The document's cap plus room for the form's other fields and the part headers."""
FILE_FIELD: Final = "file"


@dataclass
class Upload:
    """The form's text fields and the one file's bytes."""

    fields: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


@dataclass
class _Collector:
    parts: dict[str, bytearray] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str | None = None
    problem: str | None = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_field).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self.header_value))
            raw = options.get(b"name")
            self.name = raw.decode("utf-8", "replace") if raw else None
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        if self.name is None or self.name in self.parts or len(self.parts) >= MAX_PARTS:
            self.problem = f"a form has at most {MAX_PARTS} fields, each named once"
            return
        self.parts[self.name] = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.name is not None and self.problem is None:
            part = self.parts[self.name]
            part += data[start:end]
            if self.name != FILE_FIELD and len(part) > MAX_TEXT_BYTES:
                self.problem = "a text field of the form is too long"

    def on_part_end(self) -> None:
        self.name = None


async def read_upload(request: Request) -> Upload:
    """The multipart form of ``request``, or ``InvalidValue`` (nothing of it is kept)."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        msg = "send the document with the console's form (multipart/form-data)"
        raise InvalidValue(msg)
    collector = _Collector()
    parser = MultipartParser(boundary, {
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
    })
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            msg = f"a document is at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
            raise InvalidValue(msg)
        parser.write(chunk)
        if collector.problem is not None:
            raise InvalidValue(collector.problem)
    parser.finalize()
    upload = Upload(content=bytes(collector.parts.pop(FILE_FIELD, b"")))
    try:
        upload.fields = {name: value.decode("utf-8") for name, value in collector.parts.items()}
    except UnicodeDecodeError:
        msg = "the form's fields must be UTF-8"
        raise InvalidValue(msg) from None
    return upload


__all__ = ["MAX_PARTS", "MAX_UPLOAD_BYTES", "Upload", "read_upload"]
