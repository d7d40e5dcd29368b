"""Tests of `wfchain verify` (generator.verify and its check modules).

The broken-chain corpus is in tests/verify_cases (see its README): each case is a
rendered bundled chain with one defect and its exact diagnostics.  These tests use
the offline default schemas; tests/test_verify_schemas.py shows that the official
schemas give the same results.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.diagnostics import Level
from generator.pipeline import build
from generator.verify import Verifier
from generator.verify_load import split_documents
from tests.verify_corpus import (
    NOW,
    UPDATE,
    Case,
    load_cases,
    rendered_project,
    run_case,
    update_expectation,
    verify_folder,
    write_files,
)

CASES = load_cases()


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier.load(now=NOW)


# ---------------------------------------------------------------- corpus


def test_corpus_is_large_and_distinct() -> None:
    assert len(CASES) >= 25
    checks = {line.rsplit("(", 1)[1].rstrip(")") for case in CASES for line in case.expect}
    assert checks >= {
        "handoff-url", "webhook-service", "sensor-dependency", "trigger-dest",
        "trigger-datakey", "rbac-service-account", "rbac-permission", "dag-cycle",
        "param-reference", "cron", "timezone", "argo-schema", "name-length",
        "exclusion-date", "workflow-template-ref", "eventbus", "handoff-env",
    }
    descriptions = [case.description for case in CASES]
    assert len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_chain(case: Case, verifier: Verifier, tmp_path: Path) -> None:
    found = run_case(case, verifier, tmp_path)
    if UPDATE:
        update_expectation(case, found)
    assert found == case.expect, case.description


def test_bundled_examples_verify_clean(verifier: Verifier, tmp_path: Path) -> None:
    files = rendered_project()
    assert len({p.split("/")[1] for p in files if p.count("/") == 2}) >= 2
    write_files(files, tmp_path)
    assert verify_folder(tmp_path, verifier) == []


def test_each_instance_verifies_clean_on_its_own(verifier: Verifier, tmp_path: Path) -> None:
    files = rendered_project()
    folders = sorted({p.rsplit("/", 1)[0] for p in files if p.count("/") == 2})
    for folder in folders:
        target = tmp_path / folder.replace("/", "-")
        write_files({p: c for p, c in files.items() if p.startswith(folder + "/")}, target)
        assert verify_folder(target, verifier) == [], folder


# ---------------------------------------------------------------- upstream examples

# What `wfchain verify` finds in the upstream Argo Events examples (verified as one
# set, as `kubectl apply -f argo-examples/ -R` would apply them).  All are real
# mistakes of the examples:
# * webhook.yaml: no `url` (the official schema requires it; the controller ignores
#   it for a plain webhook, so this is the schema's IntOrString-like defect, kept);
# * sensor-rbac.yaml: `verbs: ["*"]` where create (and list) on workflows suffices
#   (a warning);
# * complete-trigger-parameterization.yaml: `dataKey: namespace` / `image` on a
#   webhook event, whose payload is {header, body, metadata}: the values are under
#   `body.` (the trigger-level parameters name/bucket/key/port likewise);
# * multi-dependencies.yaml: the template declares input `message` but uses
#   `message1`/`message2`, and nothing supplies `message`;
# * sensor-to-existing-workflow-template.yaml: its dependency names an EventSource
#   `bitbucket` that the examples do not define.
UPSTREAM_FINDINGS = [
    "event-sources/webhook.yaml:19:7: [error] $.spec.webhook.example: 'url' is a "
    "required property (argo-schema)",
    "rbac/sensor-rbac.yaml:15:9: [warning] $.rules[0].verbs[0]: Role "
    "'operate-workflow-role' grants '*' verbs: grant only what is needed "
    "(rbac-wildcard)",
    "sensors/complete-trigger-parameterization.yaml:53:26: [error] "
    "$.spec.triggers[0].template.k8s.parameters[0].src.dataKey: dataKey 'namespace'"
    " selects nothing: a webhook event carries header, body, metadata (did you mean"
    " 'body.namespace'?) (trigger-datakey)",
    "sensors/complete-trigger-parameterization.yaml:57:26: [error] "
    "$.spec.triggers[0].template.k8s.parameters[1].src.dataKey: dataKey 'image' "
    "selects nothing: a webhook event carries header, body, metadata (did you mean "
    "'body.image'?) (trigger-datakey)",
    "sensors/complete-trigger-parameterization.yaml:63:22: [error] "
    "$.spec.triggers[0].parameters[0].src.dataKey: dataKey 'name' selects nothing: "
    "a webhook event carries header, body, metadata (did you mean 'body.name'?) "
    "(trigger-datakey)",
    "sensors/complete-trigger-parameterization.yaml:67:22: [error] "
    "$.spec.triggers[0].parameters[1].src.dataKey: dataKey 'bucket' selects "
    "nothing: a webhook event carries header, body, metadata (did you mean "
    "'body.bucket'?) (trigger-datakey)",
    "sensors/complete-trigger-parameterization.yaml:71:22: [error] "
    "$.spec.triggers[0].parameters[2].src.dataKey: dataKey 'key' selects nothing: a"
    " webhook event carries header, body, metadata (did you mean 'body.key'?) "
    "(trigger-datakey)",
    "sensors/complete-trigger-parameterization.yaml:75:22: [error] "
    "$.spec.triggers[0].parameters[3].src.dataKey: dataKey 'port' selects nothing: "
    "a webhook event carries header, body, metadata (did you mean 'body.port'?) "
    "(trigger-datakey)",
    "sensors/multi-dependencies.yaml:41:23: [error] $.spec.triggers[0].template.k8s"
    ".source.resource.spec.templates[0].inputs.parameters[0]: input parameter "
    "'message' of the entrypoint 'print-message' has no value and no workflow "
    "argument supplies it (arguments: message1, message2) (input-missing)",
    "sensors/multi-dependencies.yaml:46:25: [error] $.spec.triggers[0].template.k8s"
    ".source.resource.spec.templates[0].container.args[0]: "
    "'{{inputs.parameters.message1}}' does not resolve: template 'print-message' "
    "has no input parameter 'message1' (inputs: message) (did you mean 'message'?) "
    "(param-reference)",
    "sensors/multi-dependencies.yaml:47:25: [error] $.spec.triggers[0].template.k8s"
    ".source.resource.spec.templates[0].container.args[1]: "
    "'{{inputs.parameters.message2}}' does not resolve: template 'print-message' "
    "has no input parameter 'message2' (inputs: message) (did you mean 'message'?) "
    "(param-reference)",
    "sensors/sensor-to-existing-workflow-template.yaml:10:24: [error] "
    "$.spec.dependencies[0].eventSourceName: dependency 'my-event-source-dep': no "
    "EventSource 'bitbucket' in the namespace applied to (none is set) "
    "(sensor-dependency)",
]


def test_upstream_examples(examples_dir: Path, verifier: Verifier) -> None:
    assert verify_folder(examples_dir, verifier) == UPSTREAM_FINDINGS


# ---------------------------------------------------------------- loading


def test_split_documents_keeps_positions() -> None:
    text = "a: 1\n---\nb: 2\n# only a comment\n--- {c: 3}\n---\n# nothing\n...\n"
    parts = split_documents(text)
    assert [index for index, _ in parts] == [0, 1, 2]
    assert parts[1][1].splitlines()[2] == "b: 2"
    assert parts[2][1].splitlines()[4] == "    {c: 3}"


def test_multi_document_file_and_duplicate_key(verifier: Verifier, tmp_path: Path) -> None:
    files = rendered_project()
    prefix = "analytics/sales-eu/"
    joined = "---\n".join(c for p, c in sorted(files.items())
                          if p.startswith(prefix) and not p.endswith("kustomization.yaml"))
    (tmp_path / "all.yaml").write_text(joined, encoding="utf-8")
    assert verify_folder(tmp_path, verifier) == []
    broken = joined.replace("  eventBusName: default\n",
                            "  eventBusName: default\n  eventBusName: other\n", 1)
    (tmp_path / "all.yaml").write_text(broken, encoding="utf-8")
    [problem] = verify_folder(tmp_path, verifier)
    assert problem.startswith("all.yaml:")
    assert "duplicate key" in problem and "(duplicate-key)" in problem


def test_non_manifest_documents(verifier: Verifier, tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicas: 3\n", encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
        encoding="utf-8")
    assert verify_folder(tmp_path, verifier) == [
        "values.yaml:1:1: [warning] $: not a Kubernetes manifest (no apiVersion and kind): "
        "not checked (manifest)"
    ]


# ---------------------------------------------------------------- CLI


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def broken_folder(tmp_path: Path) -> Path:
    case = next(c for c in CASES if c.name == "url-port-typo")
    from tests.verify_corpus import patched_instance

    write_files(patched_instance(case), tmp_path)
    return tmp_path


def test_cli_formats_and_exit_codes(broken_folder: Path, tmp_path: Path) -> None:
    target = str(broken_folder / "analytics")
    code, out, err = _cli("verify", target, "--now", "2026-06-01T00:00:00Z")
    assert code == 1
    assert out.count("(handoff-url)") == 1 and "1 error(s)" in err
    code, out, _ = _cli("verify", target, "--format", "json", "--now", "2026-06-01T00:00:00Z")
    assert code == 1
    [record] = json.loads(out)
    assert record["check"] == "handoff-url" and record["level"] == "error"
    code, out, _ = _cli("verify", target, "--format", "github", "--now", "2026-06-01T00:00:00Z")
    assert code == 1 and out.startswith("::error file=") and "title=wfchain handoff-url" in out


def test_cli_usage_errors(tmp_path: Path, schema_dir: Path) -> None:
    code, _, err = _cli("verify", str(tmp_path / "missing"))
    assert code == 2 and "no such file or folder" in err
    code, _, err = _cli("verify", str(tmp_path), "--schema-location", str(tmp_path))
    assert code == 2 and "--schema-location" in err
    code, _, err = _cli("verify", str(tmp_path), "--schema-location",
                        str(schema_dir / "argo-events-v1.9.11.schema.json"),
                        "--schema-location",
                        str(schema_dir / "argo-workflows-v4.1.2.schema.json"))
    assert code == 0 and "0 manifest(s) verified" in err


def test_cli_default_path_is_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "rendered").mkdir()
    write_files(rendered_project(), tmp_path / "rendered")
    code, _, err = _cli("-C", str(tmp_path), "verify", "--now", "2026-06-01T00:00:00Z")
    assert code == 0, err


# ---------------------------------------------------------------- render refuses


def test_render_refuses_a_chain_that_fails_verification(project: Path) -> None:
    template = project / "templates" / "nightly-etl" / "template.yaml"
    text = template.read_text(encoding="utf-8")
    broken = text.replace('"{{workflow.parameters.bucket}}"',
                          '"{{workflow.parameters.buckett}}"', 1)
    assert broken != text
    template.write_text(broken, encoding="utf-8")
    result = build(project)
    assert result.files == []
    problems = [d for d in result.diagnostics if d.check == "param-reference"]
    assert problems and all(d.level is Level.ERROR for d in problems)
    assert all(d.file.startswith("rendered/") and d.line > 0 for d in problems)
    assert "'{{workflow.parameters.buckett}}' does not resolve" in problems[0].message
    out = project / "out"
    code, _, err = _cli("-C", str(project), "render", "-o", str(out))
    assert code == 1 and "nothing written" in err and not out.exists()


# ---------------------------------------------------------------- hand-written chains

HAND_WRITTEN = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: producer
  namespace: team
spec:
  entrypoint: notify
  templates:
    - name: notify
      container:
        image: curlimages/curl:8.10.1
        command: [sh, -c]
        args:
          - >-
            curl -sf -X POST -H 'Content-Type: application/json'
            -d '{"report": "r.csv", "day": "2026-01-01"}'
            http://hooks-eventsource-svc.team.svc.cluster.local:12000/done
---
apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata:
  name: hooks
  namespace: team
spec:
  service:
    ports:
      - port: 12000
        targetPort: 12000
  webhook:
    done:
      port: "12000"
      endpoint: /done
      method: POST
      url: ""
---
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: consumer
  namespace: team
spec:
  dependencies:
    - name: done
      eventSourceName: hooks
      eventName: done
  triggers:
    - template:
        name: consumer
        argoWorkflow:
          operation: submit
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: consumer-
              spec:
                arguments:
                  parameters:
                    - name: report
                      value: ""
                workflowTemplateRef:
                  name: producer
          parameters:
            - src:
                dependencyName: done
                dataKey: body.report
              dest: spec.arguments.parameters.0.value
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: team
  namespace: team
rules:
  - apiGroups: [argoproj.io]
    resources: [workflows, workflowtaskresults]
    verbs: [create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: team
  namespace: team
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: team
subjects:
  - kind: ServiceAccount
    name: default
"""


def test_hand_written_curl_chain(verifier: Verifier, tmp_path: Path) -> None:
    (tmp_path / "chain.yaml").write_text(HAND_WRITTEN, encoding="utf-8")
    assert verify_folder(tmp_path, verifier) == [
        "chain.yaml:14:13: [warning] $.spec.templates[0].container.args[0]: the hand-off sends "
        "'day' to event 'done' of EventSource 'hooks', but no Sensor trigger parameter reads "
        "'body.day': it is dropped (handoff-unused)",
        "chain.yaml:31:7: [warning] $.spec.webhook.done: webhook event 'done' has no "
        "authSecret: any pod that reaches it can start the next workflow with values of its "
        "choosing (webhook-auth)",
        "chain.yaml:68:21: [error] $.spec.triggers[0].template.argoWorkflow.parameters[0].dest: "
        "dest 'spec.arguments.parameters.0.value' sets argument 'report', which WorkflowTemplate "
        "'producer' does not declare (arguments: none) (trigger-dest)",
    ]
    broken = HAND_WRITTEN.replace(":12000/done", ":12001/done").replace(
        "dataKey: body.report", "dataKey: body.reprot")
    (tmp_path / "chain.yaml").write_text(broken, encoding="utf-8")
    found = verify_folder(tmp_path, verifier)
    assert [line.rsplit("(", 1)[1] for line in found] == ["handoff-url)", "trigger-dest)"]
    assert "hand-off URL port 12001 is not a port of Service 'hooks-eventsource-svc'" in found[0]
