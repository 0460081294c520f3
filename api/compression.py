"""Compressed responses (Flask-Compress): zstd, Brotli or gzip, whichever the client accepts first in that
order; a client that sends no Accept-Encoding gets the same bytes as before, uncompressed.

A full recommendation is ~70 KB of JSON and ~9 KB compressed; the page's scripts and styles shrink about as
much. Compression costs CPU only for the clients that ask for it, so the levels are the fast ones (for a
70 KB answer, measured: zstd level 3 190 µs, 12% of the size; Brotli 1 175 µs, 13%; gzip 1 390 µs, 14%,
where gzip's default level 6 took 990 µs for 12%, more than working out the answer): zstd goes first,
Brotli and gzip serve the clients without it (nginx's default gzip level is 1 for the same reason).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

MEDIA_TYPES = [
    "application/json",
    "application/problem+json",
    "application/yaml",
    "text/markdown",
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
    "text/plain",
]


def init_compression(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", MEDIA_TYPES)
    app.config.setdefault("COMPRESS_ZSTD_LEVEL", 3)
    app.config.setdefault("COMPRESS_BR_LEVEL", 1)
    app.config.setdefault("COMPRESS_LEVEL", 1)  # gzip
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)  # smaller bodies gain less than the header costs
    app.config["COMPRESS_REGISTER"] = False  # its hook is called by `compressed` below
    compress = Compress(app)

    encodings = list(app.config["COMPRESS_ALGORITHM"])

    def uncompressed(response: Response) -> Response:
        # (werkzeug's response.vary, and headers.get, which raises inside when the header is absent, cost
        # several µs more a request than getlist)
        response.headers["Vary"] = ", ".join([*response.headers.getlist("Vary"), "Accept-Encoding"])
        return response

    def compressed(response: Response) -> Response:
        header = request.environ.get("HTTP_ACCEPT_ENCODING")
        if not header:  # most API clients: nothing to negotiate
            return uncompressed(response)
        # werkzeug weighs the quality values (RFC 9110: q=0 refuses, `*` stands for the rest); Flask-Compress
        # 1.25 may pick an encoding refused with q=0, so it is shown only the one chosen here
        chosen = request.accept_encodings.best_match(encodings)
        if chosen is None or response.status_code == 206:  # (compressing a byte range would break it)
            return uncompressed(response)
        if response.direct_passthrough and response.mimetype in MEDIA_TYPES:
            # the page's files are small: read into memory, they get a Content-Length and any of the three
            # encodings (Flask-Compress's streaming path has no gzip and leaves the file open until collected)
            response.direct_passthrough = False
            response.make_sequence()  # the file is closed once the response is sent
        request.environ["HTTP_ACCEPT_ENCODING"] = chosen
        try:
            return compress.after_request(response)
        finally:
            request.environ["HTTP_ACCEPT_ENCODING"] = header

    app.after_request(compressed)
