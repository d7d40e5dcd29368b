"""Runs a rendered hand-off step for real: its command, with real sh, jq and curl,
against a local HTTP server, with values substituted the way Argo substitutes
``{{inputs.parameters.x}}``.

The server is reached as an HTTP proxy (``http_proxy``), so the step's own URL, the
in-cluster webhook URL, is used unchanged and the server sees exactly which URL
was requested. Secret volumes are laid out in a temporary folder as the kubelet lays
them out (one file per item), and environment values under a mount path point there.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

HANDOFF = "wfchain-handoff"
#: The token run_step puts in every Secret a step mounts, unless told otherwise.
TEST_TOKEN = "t0k-" + "9f2c7e1a5b3d" * 3


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
    #: when set, a request without "Authorization: Bearer <token>" gets 401, as Argo
    #: Events' webhook server answers when the event has an authSecret
    token: str | None = None
    #: set when a request arrived; the answer waits until ``release`` is set
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def webhook_peer(status: int = 200, token: str | None = None, hold: bool = False
                 ) -> Iterator[Peer]:
    peer = Peer(status=status, token=token)
    if not hold:
        peer.release.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            peer.requests.append(Received(self.command, self.path, dict(self.headers), body))
            peer.arrived.set()
            peer.release.wait(timeout=30)
            status = peer.status
            if peer.token is not None and \
                    self.headers.get("Authorization") != f"Bearer {peer.token}":
                status = 401
            answer = b"ok" if status < 300 else b"nope"
            self.send_response(status)
            if 300 <= status < 400:
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


Secrets = Mapping[str, Mapping[str, str]]


def default_secrets(template: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every Secret the step mounts, each item holding TEST_TOKEN."""
    return {volume["secret"]["secretName"]:
            {item["key"]: TEST_TOKEN for item in volume["secret"].get("items", [])}
            for volume in template.get("volumes", []) if "secret" in volume}


def _mount(template: Mapping[str, Any], secrets: Secrets, root: Path) -> dict[str, str]:
    """Lay out the step's Secret volumes under ``root``; {mountPath: local folder}."""
    volumes = {v["name"]: v for v in template.get("volumes", [])}
    mounts: dict[str, str] = {}
    for mount in template["container"].get("volumeMounts", []):
        volume = volumes[mount["name"]]
        local = root / mount["mountPath"].lstrip("/")
        local.mkdir(parents=True)
        source = volume["secret"]
        data = secrets.get(source["secretName"])
        if data is None and not source.get("optional"):
            raise AssertionError(f"Secret {source['secretName']} is missing: the pod "
                                 "would not start")
        for item in source.get("items", []) if data is not None else []:
            if item["key"] in data:
                (local / item["path"]).write_text(data[item["key"]], encoding="utf-8")
        mounts[mount["mountPath"]] = str(local)
    return mounts


def _environment(template: Mapping[str, Any], peer: Peer, mounts: Mapping[str, str]
                 ) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "http_proxy": f"http://127.0.0.1:{peer.port}"}
    for item in template["container"].get("env", []):
        value = item["value"]
        for path, local in mounts.items():
            if value.startswith(path + "/"):
                value = local + value[len(path):]
        env[item["name"]] = value
    return env


@contextmanager
def start_step(template: Mapping[str, Any], peer: Peer, secrets: Secrets | None = None
               ) -> Iterator[subprocess.Popen[bytes]]:
    """The step's process, running; its mounted files exist until the block ends."""
    with tempfile.TemporaryDirectory(prefix="wfchain-pod-") as root:
        mounts = _mount(template, default_secrets(template) if secrets is None else secrets,
                        Path(root))
        container = template["container"]
        argv = [*container["command"], *container.get("args", [])]
        with subprocess.Popen(argv, env=_environment(template, peer, mounts),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
            yield process


def run_step(template: Mapping[str, Any], peer: Peer, timeout: float = 60,
             secrets: Secrets | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the step to its end. ``secrets``: {name: {key: value}} of the Secrets that
    exist (default: every Secret the step mounts, holding TEST_TOKEN)."""
    with start_step(template, peer, secrets) as process:
        stdout, stderr = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def data_key(event: Mapping[str, Any], key: str) -> Any:
    """Resolve a simple gjson path (dot-separated names) as the sensor does."""
    node: Any = event
    for part in key.split("."):
        node = node[part]
    return node
