"""Security of the rendered chain: the authenticated hand-off run for real (sh, jq and
curl against a local server that demands the bearer token), the NetworkPolicy, the
hardened hand-off container and the exact RBAC rules."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from handoff_harness import (
    TEST_TOKEN,
    argo_substitute,
    handoff_template,
    load,
    run_step,
    start_step,
    webhook_peer,
)

from generator.cli import cli
from generator.identity import instance_id

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "base"
TOKEN = "s3cr3t-" + "a7Qz9K" * 6  # what the test puts in the Secret


def _render(project: Path) -> Path:
    out = project.parent / f"{project.name}-out"
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    shutil.copytree(FIXTURE, project)
    (project / "wfchain.yaml").write_text("handoff:\n  retries: 1\n", encoding="utf-8")
    return project


@pytest.fixture
def hello(project: Path) -> Path:
    return _render(project) / "team-a" / "hello"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("bundled") / "p"
    project.mkdir()
    for name in ("templates", "instances"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy2(ROOT / "wfchain.yaml", project / "wfchain.yaml")
    return _render(project)


def _folders(out: Path) -> list[Path]:
    return sorted(p.parent for p in out.glob("*/*/kustomization.yaml"))


def _step(folder: Path) -> dict[str, Any]:
    return argo_substitute(handoff_template(load(folder / "workflowtemplate-workflow1.yaml")),
                           {"message": "hi", "origin": "there"})


def _secret(folder: Path) -> tuple[str, str]:
    event = load(folder / "eventsource-webhook.yaml")["spec"]["webhook"]["handoff"]
    return event["authSecret"]["name"], event["authSecret"]["key"]


# ---------------------------------------------------------------- the bearer token, for real


def test_the_webhook_demands_the_secret_the_step_mounts(hello: Path) -> None:
    name, key = _secret(hello)
    assert (name, key) == (instance_id("team-a", "hello") + "-webhook-token", "token")
    template = handoff_template(load(hello / "workflowtemplate-workflow1.yaml"))
    assert template["volumes"] == [{"name": "wfchain-webhook-token", "secret": {
        "secretName": name, "items": [{"key": key, "path": "token"}], "optional": True}}]
    assert template["container"]["volumeMounts"] == [{
        "name": "wfchain-webhook-token", "mountPath": "/var/run/wfchain/webhook-token",
        "readOnly": True}]


def test_the_call_succeeds_with_the_mounted_token(hello: Path) -> None:
    name, key = _secret(hello)
    with webhook_peer(token=TOKEN) as peer:
        result = run_step(_step(hello), peer, secrets={name: {key: TOKEN + "\n"}})
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"hand-off accepted: HTTP 200\n"
    [request] = peer.requests
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.body) == {"message": "hi", "origin": "there"}
    assert TOKEN.encode() not in result.stdout + result.stderr  # never logged


def test_the_call_fails_without_the_secret(hello: Path) -> None:
    name, key = _secret(hello)
    with webhook_peer(token=TOKEN) as peer:
        result = run_step(_step(hello), peer, secrets={})
    assert result.returncode == 1
    assert peer.requests == []  # it does not even try
    message = result.stderr.decode()
    assert message.startswith("hand-off: no webhook token in /")
    assert message.endswith(f"/var/run/wfchain/webhook-token/token\n"
                            f"hand-off: create Secret {name}, key {key}\n")


def test_the_call_fails_with_a_wrong_token(hello: Path) -> None:
    name, key = _secret(hello)
    with webhook_peer(token=TOKEN) as peer:
        result = run_step(_step(hello), peer, secrets={name: {key: "not-the-token"}})
    assert result.returncode == 1
    assert len(peer.requests) == 2  # 401 is retried like any failure (retries: 1)
    assert b"hand-off failed: HTTP 401 (curl exit 22)" in result.stderr
    assert b"not-the-token" not in result.stderr


def _processes() -> dict[int, tuple[bytes, bytes]]:
    """(cmdline, environ) of every process of this machine we may read."""
    seen = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                seen[int(entry.name)] = ((entry / "cmdline").read_bytes(),
                                         (entry / "environ").read_bytes())
            except OSError:
                continue  # gone, or not ours
    return seen


def test_the_token_is_in_no_argv_and_no_environment(hello: Path) -> None:
    """While curl is waiting for the answer, no process carries the token in its
    command line or its environment."""
    name, key = _secret(hello)
    with webhook_peer(token=TOKEN, hold=True) as peer, \
            start_step(_step(hello), peer, {name: {key: TOKEN}}) as process:
        assert peer.arrived.wait(timeout=30), "the step never called the webhook"
        processes = _processes()
        peer.release.set()
        _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    curls = [pid for pid, (cmdline, _) in processes.items()
             if cmdline.split(b"\0", 1)[0].endswith(b"curl")]
    assert curls, "curl was not running while the request was held"
    leaks = [pid for pid, (cmdline, environ) in processes.items()
             if TOKEN.encode() in cmdline or TOKEN.encode() in environ]
    assert leaks == []
    assert peer.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert os.getpid() in processes  # the scan could read processes at all


def test_no_secret_value_is_rendered(bundled: Path) -> None:
    for path in sorted(bundled.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        doc = load(path)
        assert doc.get("kind") != "Secret", path
        assert "Bearer " not in text.replace("'Authorization: Bearer '", ""), path
        assert TEST_TOKEN not in text and TOKEN not in text


def test_an_instance_may_opt_out(project: Path) -> None:
    instance = project / "instances" / "team-a" / "hello.yaml"
    instance.write_text(instance.read_text(encoding="utf-8") +
                        "webhookAuth:\n  enabled: false\n", encoding="utf-8")
    folder = _render(project) / "team-a" / "hello"
    event = load(folder / "eventsource-webhook.yaml")["spec"]["webhook"]["handoff"]
    assert "authSecret" not in event
    template = handoff_template(load(folder / "workflowtemplate-workflow1.yaml"))
    assert "volumes" not in template and "volumeMounts" not in template["container"]
    with webhook_peer() as peer:
        result = run_step(_step(folder), peer, secrets={})
    assert result.returncode == 0, result.stderr.decode()
    assert "Authorization" not in peer.requests[0].headers


def test_an_instance_may_name_its_own_secret(project: Path) -> None:
    instance = project / "instances" / "team-a" / "hello.yaml"
    instance.write_text(instance.read_text(encoding="utf-8") +
                        "webhookAuth:\n  secretName: shared.hello-token\n  secretKey: bearer\n",
                        encoding="utf-8")
    folder = _render(project) / "team-a" / "hello"
    assert _secret(folder) == ("shared.hello-token", "bearer")
    with webhook_peer(token=TOKEN) as peer:
        result = run_step(_step(folder), peer, secrets={"shared.hello-token": {"bearer": TOKEN}})
    assert result.returncode == 0, result.stderr.decode()


def test_a_bad_secret_name_is_an_error(project: Path) -> None:
    instance = project / "instances" / "team-a" / "hello.yaml"
    text = instance.read_text(encoding="utf-8")
    line = len(text.splitlines()) + 2
    instance.write_text(text + "webhookAuth:\n  secretName: ../etc\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(project), "validate"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"instances/team-a/hello.yaml:{line}:15: [error] $.webhookAuth.secretName: "
        "'../etc' must be a DNS-1123 subdomain of at most 253 characters (lowercase "
        "letters, digits, '-' and '.') (schema)")


# ---------------------------------------------------------------- NetworkPolicy


def test_only_the_handoff_pod_may_reach_the_webhook(bundled: Path) -> None:
    for folder in _folders(bundled):
        policy = load(folder / "networkpolicy-webhook.yaml")
        webhook = load(folder / "eventsource-webhook.yaml")
        workflow1 = load(folder / "workflowtemplate-workflow1.yaml")
        instance = webhook["metadata"]["labels"]["app.kubernetes.io/instance"]
        name = webhook["metadata"]["name"]
        port = webhook["spec"]["service"]["ports"][0]["targetPort"]
        assert policy["spec"] == {
            # the labels the EventSource controller puts on the webhook's pods
            "podSelector": {"matchLabels": {"controller": "eventsource-controller",
                                            "eventsource-name": name, "owner-name": name}},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"podSelector": {"matchLabels": {
                    "app.kubernetes.io/instance": instance,
                    "app.kubernetes.io/component": "handoff"}}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }],
        }
        assert str(port) == webhook["spec"]["webhook"]["handoff"]["port"]
        # the hand-off pod carries exactly those labels; no other pod of the chain does
        pods = {t["name"]: t.get("metadata", {}).get("labels", {})
                for t in workflow1["spec"]["templates"]}
        admitted = [t for t, labels in pods.items()
                    if labels.get("app.kubernetes.io/component") == "handoff"]
        assert admitted == ["wfchain-handoff"]
        assert pods["wfchain-handoff"]["app.kubernetes.io/instance"] == instance


def test_network_policies_can_be_turned_off(project: Path) -> None:
    (project / "wfchain.yaml").write_text("webhook:\n  networkPolicy: false\n",
                                          encoding="utf-8")
    folder = _render(project) / "team-a" / "hello"
    assert not (folder / "networkpolicy-webhook.yaml").exists()
    assert "networkpolicy-webhook.yaml" not in (folder / "kustomization.yaml").read_text()


# ---------------------------------------------------------------- hardened step, RBAC


def test_the_handoff_container_is_hardened(bundled: Path) -> None:
    for folder in _folders(bundled):
        container = handoff_template(load(folder / "workflowtemplate-workflow1.yaml"))[
            "container"]
        assert container["securityContext"] == {
            "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
            "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
            "privileged": False, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        image = container["image"]
        assert "@sha256:" in image and len(image.split("@sha256:")[1]) == 64


def test_the_runtime_user_is_configurable_but_never_root(project: Path) -> None:
    (project / "wfchain.yaml").write_text("handoff:\n  runAsUser: 1000\n", encoding="utf-8")
    folder = _render(project) / "team-a" / "hello"
    context = handoff_template(load(folder / "workflowtemplate-workflow1.yaml"))[
        "container"]["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == (1000, 1000)
    (project / "wfchain.yaml").write_text("handoff:\n  runAsUser: 0\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(project), "validate"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "wfchain.yaml:2:14: [error] $.handoff.runAsUser: 0 is less than the minimum of 1 "
        "(schema)")


def test_rbac_rules_are_exact(bundled: Path) -> None:
    for folder in _folders(bundled):
        workflow1 = load(folder / "workflowtemplate-workflow1.yaml")["metadata"]["name"]
        workflow2 = load(folder / "workflowtemplate-workflow2.yaml")["metadata"]["name"]
        sensor = load(folder / "role-sensor.yaml")
        workflow = load(folder / "role-workflow.yaml")
        assert sensor["kind"] == workflow["kind"] == "Role"  # namespaced, never ClusterRole
        assert sensor["rules"] == [
            {"apiGroups": ["argoproj.io"], "resources": ["workflows"],
             "verbs": ["create", "list"]},
            {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"],
             "resourceNames": [workflow1, workflow2], "verbs": ["get"]},
        ]
        assert workflow["rules"] == [
            {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"],
             "verbs": ["create", "patch"]},
        ]
        for path in folder.glob("*.yaml"):
            doc = load(path)
            assert doc["kind"] not in ("ClusterRole", "ClusterRoleBinding"), path
            assert "*" not in json.dumps(doc.get("rules", [])), path
        for binding in ("rolebinding-sensor.yaml", "rolebinding-workflow.yaml"):
            doc = load(folder / binding)
            assert doc["roleRef"]["kind"] == "Role"
            assert [s["namespace"] for s in doc["subjects"]] == [doc["metadata"]["namespace"]]
