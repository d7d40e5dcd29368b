"""Runs a rendered hand-off step for real: its command, with real sh, jq and curl,
against a local HTTP server, with values substituted the way Argo substitutes
``{{inputs.parameters.x}}``.

The server is reached as an HTTP proxy (``http_proxy``), so the step's own URL, the
in-cluster webhook URL, is used unchanged and the server sees exactly which URL
was requested.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

HANDOFF = "wfchain-handoff"


@dataclass
class Received:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    """A local stand-in for the Argo Events webhook server."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)
    port: int = 0


@contextmanager
def webhook_peer(status: int = 200) -> Iterator[Peer]:
    peer = Peer(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            peer.requests.append(Received(self.command, self.path, dict(self.headers), body))
            answer = b"ok" if peer.status < 300 else b"nope"
            self.send_response(peer.status)
            if 300 <= peer.status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    peer.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def handoff_template(workflow1: Mapping[str, Any]) -> dict[str, Any]:
    for template in workflow1["spec"]["templates"]:
        if template["name"] == HANDOFF:
            return dict(template)
    raise AssertionError("workflow 1 has no hand-off template")


def argo_substitute(template: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """What Argo does with {{inputs.parameters.x}}: the template is serialized to JSON,
    each tag is replaced by the JSON-escaped value, and the JSON is read back."""
    text = json.dumps(template)
    for name, value in values.items():
        escaped = json.dumps(value)[1:-1]
        text = text.replace("{{inputs.parameters." + name + "}}", escaped)
    result: dict[str, Any] = json.loads(text)
    return result


def run_step(template: Mapping[str, Any], peer: Peer, timeout: float = 60
             ) -> subprocess.CompletedProcess[bytes]:
    container = template["container"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "http_proxy": f"http://127.0.0.1:{peer.port}"}
    for item in container.get("env", []):
        env[item["name"]] = item["value"]
    argv = [*container["command"], *container.get("args", [])]
    return subprocess.run(argv, env=env, capture_output=True, timeout=timeout, check=False)


def data_key(event: Mapping[str, Any], key: str) -> Any:
    """Resolve a simple gjson path (dot-separated names) as the sensor does."""
    node: Any = event
    for part in key.split("."):
        node = node[part]
    return node
