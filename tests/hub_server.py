"""A local stand-in for the Hugging Face hub (DESIGN.md §6): real HTTP on 127.0.0.1, the hub's
layout.

huggingface_hub talks to it exactly as to huggingface.co: ``/api/models/<repo>/revision/<rev>``
(the commit), ``/api/models/<repo>/tree/<commit>`` (files, sizes, LFS sha256) and
``/<repo>/resolve/<rev>/<file>`` (HEAD + GET with ETag, Content-Length, X-Repo-Commit and Range).
``cut_after`` drops the connection once that many bytes of a file went out (a cut download);
``chunk_delay`` slows the transfer so a test can press Cancel mid-way.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 64 * 1024


@dataclass
class HubServer:
    repo_id: str
    folder: Path  # files served as the repo's content
    cut_after: int | None = None  # bytes of one GET after which the connection drops (once)
    chunk_delay: float = 0.0
    requests: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.files = {p.name: p.read_bytes() for p in sorted(self.folder.iterdir()) if p.is_file()}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                server._serve(self, head=True)

            def do_GET(self) -> None:  # noqa: N802
                server._serve(self, head=False)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _json(self, h: BaseHTTPRequestHandler, body: object, head: bool) -> None:
        data = json.dumps(body).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("X-Repo-Commit", COMMIT)
        h.end_headers()
        if not head:
            h.wfile.write(data)

    def _serve(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path = h.path.split("?")[0]
        self.requests.append(f"{'HEAD' if head else 'GET'} {path}")
        repo = re.escape(self.repo_id)
        if re.fullmatch(rf"/api/models/{repo}/revision/[^/]+", path):
            return self._json(
                h,
                {
                    "id": self.repo_id,
                    "sha": COMMIT,
                    "siblings": [{"rfilename": n} for n in self.files],
                },
                head,
            )
        if re.fullmatch(rf"/api/models/{repo}/tree/[^/]+/?", path):
            entries = []
            for name, data in self.files.items():
                sha = hashlib.sha256(data).hexdigest()
                entry = {
                    "type": "file",
                    "path": name,
                    "size": len(data),
                    "oid": hashlib.sha1(data).hexdigest(),
                }
                if name.endswith(".safetensors"):
                    entry["lfs"] = {"oid": sha, "size": len(data), "pointerSize": 134}
                entries.append(entry)
            return self._json(h, entries, head)
        m = re.fullmatch(rf"/{repo}/resolve/[^/]+/(.+)", path)
        if not m or m.group(1) not in self.files:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.send_header("X-Error-Code", "EntryNotFound")
            h.end_headers()
            return
        name = m.group(1)
        data = self.files[name]
        etag = (
            hashlib.sha256(data).hexdigest()
            if name.endswith(".safetensors")
            else hashlib.sha1(data).hexdigest()
        )
        start = 0
        rng = h.headers.get("Range")
        if rng and not head:
            self.ranges.append(rng)
            start = int(re.match(r"bytes=(\d+)-", rng).group(1))
        body = data[start:]
        h.send_response(206 if start else 200)
        h.send_header("Content-Length", str(len(body)))
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.send_header("ETag", f'"{etag}"')
        h.send_header("X-Repo-Commit", COMMIT)
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        if head:
            return
        sent = 0
        try:
            for i in range(0, len(body), CHUNK):
                if self.cut_after is not None and sent >= self.cut_after:
                    self.cut_after = None
                    h.close_connection = True
                    h.connection.shutdown(2)  # the network goes away mid-file
                    return
                h.wfile.write(body[i : i + CHUNK])
                sent += len(body[i : i + CHUNK])
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


def save_micro_model(folder: Path, name: str = "test-random-micro-edgetam") -> Path:
    """A real, loadable HF-format folder (config.json + model.safetensors) of a scaled-down
    model."""
    from model.testmodels import build_random_model

    build_random_model(name).save_pretrained(folder)
    return folder
