# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Content-Type of an upload, from a table shipped with the collection.

**PRIVATE**: this module is internal to the s32s.sync collection.

Python's ``mimetypes`` reads the host's ``/etc/mime.types`` and friends: the
same file got ``font/woff2`` on one host and ``application/octet-stream`` on
another (issue 14; ``.webp`` is missing from Python 3.11's built-in list).
Uploads use this table instead, so that every host publishes the same types.
A name whose extension is not in it gets ``application/octet-stream`` (what S3
itself assumes for an object without a type), never the host's guess: the
result must not depend on the host. A rule of ``object_attributes`` sets any
other type.

Pre-compressed content: ``x.html.gz`` / ``x.css.br`` are served as
``Content-Encoding: gzip|br`` with the type of the inner name (``text/html``),
as web servers serve them (nginx ``gzip_static``) and as ``mimetypes``
classifies them (type and encoding). Archives are not pre-compressed content:
``x.tar.gz``/``x.tgz`` are ``application/gzip`` without an encoding (a browser
must not unpack them), and so is a ``.gz`` whose inner name is not in the table
(``data.gz``: ``application/gzip``; ``data.br``: ``application/octet-stream``).
For comparison: rclone types by the last extension only (``.gz`` ->
``application/gzip``, never an encoding); aws-cli keeps ``mimetypes``' type of
the inner name and drops its encoding (``x.html.gz`` -> ``text/html`` without
``Content-Encoding``, broken in a browser); s3cmd sets an encoding only for
the extensions given in ``add_encoding_exts``.
"""

from __future__ import annotations

import typing as t

#: Content-Type per lower-case extension (IANA types; web ones as browsers expect them).
TYPES: dict[str, str] = {
    # text and documents
    "html": "text/html", "htm": "text/html", "xhtml": "application/xhtml+xml",
    "css": "text/css", "js": "text/javascript", "mjs": "text/javascript", "cjs": "text/javascript",
    "json": "application/json", "jsonld": "application/ld+json", "map": "application/json",
    "webmanifest": "application/manifest+json", "xml": "application/xml", "rss": "application/rss+xml",
    "atom": "application/atom+xml", "txt": "text/plain", "md": "text/markdown", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "ics": "text/calendar", "vtt": "text/vtt", "yaml": "application/yaml",
    "yml": "application/yaml", "pdf": "application/pdf", "rtf": "application/rtf", "wasm": "application/wasm",
    # images
    "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "webp": "image/webp", "avif": "image/avif", "ico": "image/vnd.microsoft.icon", "bmp": "image/bmp",
    "tif": "image/tiff", "tiff": "image/tiff", "apng": "image/apng", "heic": "image/heic",
    # fonts
    "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    # audio and video
    "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "ogv": "video/ogg", "mov": "video/quicktime",
    "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
    "wav": "audio/wav", "flac": "audio/flac", "m3u8": "application/vnd.apple.mpegurl",
    # archives and binaries
    "zip": "application/zip", "gz": "application/gzip", "tgz": "application/gzip", "tar": "application/x-tar",
    "bz2": "application/x-bzip2", "xz": "application/x-xz", "zst": "application/zstd", "7z": "application/x-7z-compressed",
    "jar": "application/java-archive", "deb": "application/vnd.debian.binary-package", "rpm": "application/x-rpm",
    "iso": "application/x-iso9660-image", "bin": "application/octet-stream", "exe": "application/octet-stream",
    # office documents
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "epub": "application/epub+zip",
}
#: The type of a name whose extension is not in :data:`TYPES`.
DEFAULT_TYPE = "application/octet-stream"
#: Pre-compression suffixes and the Content-Encoding they stand for.
ENCODINGS = {"gz": "gzip", "br": "br"}
#: Inner types that are archives, not content served compressed (``x.tar.gz``).
_ARCHIVES = frozenset({"application/x-tar"})


def _extension(name: str) -> str:
    base = name.rpartition("/")[2]
    stem, dot, ext = base.rpartition(".")
    return ext.lower() if dot and stem else ""


def content_type_of(relpath: str) -> tuple[str, t.Optional[str]]:
    """``(Content-Type, Content-Encoding or None)`` of ``relpath``, from :data:`TYPES` only.

    ``x.html.gz`` -> ``('text/html', 'gzip')``; ``x.tar.gz`` -> ``('application/gzip', None)``;
    ``x.unknown`` -> ``('application/octet-stream', None)``. Never reads the host's ``mimetypes``.
    """
    ext = _extension(relpath)
    encoding = ENCODINGS.get(ext)
    if encoding is not None:
        inner = TYPES.get(_extension(relpath[:-(len(ext) + 1)]))
        if inner is not None and inner not in _ARCHIVES:
            return inner, encoding
    return TYPES.get(ext, DEFAULT_TYPE), None


__all__ = ["TYPES", "DEFAULT_TYPE", "ENCODINGS", "content_type_of"]
