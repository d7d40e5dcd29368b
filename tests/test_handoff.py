"""The hand-off step, run for real (sh + jq + curl) against a local HTTP server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from handoff_harness import (
    argo_substitute,
    data_key,
    handoff_template,
    load,
    run_step,
    webhook_peer,
)

from generator.cli import cli

HOSTILE = [
    'double " quote, back\\slash, single \' quote',
    "new\nline\r\nand\ttab",
    "$(touch /tmp/wfchain-pwned) `id` ${HOME} $HOME ${#x} [[ -n x ]]",
    "{{inputs.parameters.other}} {{=1+1}} {{ .Input.body.x }} ${{ params.x }}",
    "ünïcödé — 日本語 — 🚀",
    "@/etc/passwd",
    "-X GET --data x",
    "",
    "; rm -rf / && echo ' \" ",
    "x" * 20000,
]


def render_to(project: Path, out: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output


def instance_folders(out: Path) -> list[Path]:
    return sorted(p.parent for p in out.glob("*/*/kustomization.yaml"))


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parents[1]
    project = tmp_path_factory.mktemp("bundled")
    for name in ("templates", "instances"):
        shutil.copytree(root / name, project / name)
    if (root / "wfchain.yaml").exists():
        shutil.copy2(root / "wfchain.yaml", project / "wfchain.yaml")
    out = project / "out"
    render_to(project, out)
    return out


def test_tools_are_real() -> None:
    assert shutil.which("curl"), "curl is needed (the hand-off step runs it)"
    assert shutil.which("jq"), "jq is needed (the hand-off step runs it)"


@pytest.mark.parametrize("case", range(len(HOSTILE)))
def test_hostile_values_arrive_intact(bundled: Path, case: int) -> None:
    for folder in instance_folders(bundled):
        workflow1 = load(folder / "workflowtemplate-workflow1.yaml")
        workflow2 = load(folder / "workflowtemplate-workflow2.yaml")
        trigger2 = load(folder / "sensor-trigger2.yaml")
        webhook = load(folder / "eventsource-webhook.yaml")
        template = handoff_template(workflow1)
        names = [p["name"] for p in template.get("inputs", {}).get("parameters", [])]
        # a different hostile value per parameter, rotating through the list
        values = {n: HOSTILE[(case + i) % len(HOSTILE)] for i, n in enumerate(names)}
        step = argo_substitute(template, values)

        with webhook_peer() as peer:
            result = run_step(step, peer)

        assert result.returncode == 0, result.stderr.decode()
        assert len(peer.requests) == 1
        request = peer.requests[0]
        namespace = workflow1["metadata"]["namespace"]
        event = webhook["spec"]["webhook"]["handoff"]
        service = webhook["metadata"]["name"] + "-eventsource-svc"
        port = webhook["spec"]["service"]["ports"][0]["port"]
        assert request.method == event["method"] == "POST"
        assert request.url == (f"http://{service}.{namespace}.svc.cluster.local:{port}"
                               f"{event['endpoint']}")
        assert request.headers["Content-Type"] == "application/json"
        body = json.loads(request.body)
        assert body == values

        # the sensor's view: {header, body}; apply trigger2's dataKeys and dests
        sensor_event = {"header": request.headers, "body": body}
        trigger = trigger2["spec"]["triggers"][0]["template"]["argoWorkflow"]
        submitted = trigger["source"]["resource"]
        arguments = submitted["spec"]["arguments"]["parameters"] if names else []
        assert len(trigger.get("parameters", [])) == len(names)
        for parameter in trigger.get("parameters", []):
            key = parameter["src"]["dataKey"]
            index = int(parameter["dest"].split(".")[3])
            name = arguments[index]["name"]
            assert parameter["dest"] == f"spec.arguments.parameters.{index}.value"
            assert key == f"body.{name}"
            assert data_key(sensor_event, key) == values[name]
        declared = {p["name"] for p in workflow2["spec"]["arguments"]["parameters"]}
        assert set(names) <= declared
    assert not Path("/tmp/wfchain-pwned").exists()


@pytest.fixture
def base_out(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    shutil.copytree(Path(__file__).parent / "fixtures" / "base", project)
    (project / "wfchain.yaml").write_text("handoff:\n  retries: 1\n")
    out = tmp_path / "out"
    render_to(project, out)
    return out / "team-a" / "hello"


def _step(folder: Path) -> dict[str, object]:
    template = handoff_template(load(folder / "workflowtemplate-workflow1.yaml"))
    return argo_substitute(template, {"message": "hi", "origin": "there"})


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_error_answers_fail_the_step_after_retrying(base_out: Path, status: int) -> None:
    with webhook_peer(status) as peer:
        result = run_step(_step(base_out), peer)
    assert result.returncode != 0
    assert len(peer.requests) == 2  # the first try and one retry (retries: 1)
    assert b"nope" in result.stderr  # the webhook's answer is shown in the log
    assert f"hand-off failed: HTTP {status} (curl exit 22)".encode() in result.stderr


@pytest.mark.parametrize("status", [301, 302, 307])
def test_redirects_are_not_success(base_out: Path, status: int) -> None:
    with webhook_peer(status) as peer:
        result = run_step(_step(base_out), peer)
    assert result.returncode == 1
    assert f"hand-off failed: HTTP {status}".encode() in result.stderr
    assert len(peer.requests) == 1


def test_success_is_logged(base_out: Path) -> None:
    with webhook_peer(200) as peer:
        result = run_step(_step(base_out), peer)
    assert result.returncode == 0
    assert result.stdout == b"hand-off accepted: HTTP 200\n"


def test_values_are_not_on_the_command_line(base_out: Path) -> None:
    template = handoff_template(load(base_out / "workflowtemplate-workflow1.yaml"))
    container = template["container"]
    argv = " ".join([*container["command"], *container["args"]])
    assert "{{" not in argv  # values only ever arrive through the environment
    assert "inputs.parameters" not in argv
