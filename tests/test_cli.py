"""The command line: exact messages and exit codes (0 ok, 1 findings, 2 usage, 3
unexpected)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import __version__
from generator.cli import cli

BASE = Path(__file__).parent / "fixtures" / "base"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    shutil.copytree(BASE, project)
    return project


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_show_text(base: Path) -> None:
    code, out, _ = run("-C", str(base), "show", "team-a/hello")
    assert code == 0
    assert out == (
        "instance                team-a/hello\n"
        "file                    instances/team-a/hello.yaml\n"
        "template                hello-chain\n"
        "schedule                */15 * * * *\n"
        "timezone                Europe/Berlin\n"
        "id                      hello-ou2xsn\n"
        "namespace               team-a\n"
        "workflowTemplate1       hello-ou2xsn-workflow1\n"
        "workflowTemplate2       hello-ou2xsn-workflow2\n"
        "cronEventSource         hello-ou2xsn-cron\n"
        "webhookEventSource      hello-ou2xsn-webhook\n"
        "trigger1                hello-ou2xsn-trigger1\n"
        "trigger2                hello-ou2xsn-trigger2\n"
        "sensorServiceAccount    hello-ou2xsn-sensor\n"
        "workflowServiceAccount  hello-ou2xsn-workflow\n"
        "webhookService          hello-ou2xsn-webhook-eventsource-svc\n"
        "webhookUrl              "
        "http://hello-ou2xsn-webhook-eventsource-svc.team-a.svc.cluster.local:12000/handoff\n"
        "networkPolicy           hello-ou2xsn-webhook\n"
        "webhookAuthSecret       hello-ou2xsn-webhook-token\n"
        "webhookAuthSecretKey    token\n"
    )


def test_show_json_by_file_path(base: Path) -> None:
    code, out, _ = run("-C", str(base), "show", "--format", "json",
                       "instances/team-a/hello.yaml")
    assert code == 0
    info = json.loads(out)
    assert info["id"] == "hello-ou2xsn"
    assert info["webhookUrl"].endswith(".team-a.svc.cluster.local:12000/handoff")


def test_show_unknown_instance_is_a_usage_error(base: Path) -> None:
    code, out, err = run("-C", str(base), "show", "team-a/nope")
    assert code == 2
    assert out == ""
    assert err == ("wfchain: error: no valid instance 'team-a/nope' "
                   "(use namespace/name or the file path)\n")


def test_render_unknown_instance_is_a_usage_error(base: Path) -> None:
    code, _, err = run("-C", str(base), "render", "team-a/nope")
    assert code == 2
    assert "no valid instance 'team-a/nope'" in err
    assert not (base / "rendered").exists()


def test_render_some_instances(base: Path) -> None:
    other = base / "instances" / "team-b" / "other.yaml"
    other.parent.mkdir()
    other.write_text("template: hello-chain\nschedule: '0 * * * *'\nparams:\n  greeting: hi\n")
    code, _, _ = run("-C", str(base), "render", "-q", "team-b/other")
    assert code == 0
    assert (base / "rendered" / "team-b" / "other" / "kustomization.yaml").is_file()
    assert not (base / "rendered" / "team-a").exists()


def test_validate_ok_message(base: Path) -> None:
    code, out, err = run("-C", str(base), "validate")
    assert (code, out) == (0, "")
    assert err == "wfchain: 1 template(s), 1 instance(s): valid\n"


def _spoil(base: Path) -> None:
    (base / "instances" / "team-a" / "hello.yaml").write_text(
        "template: hello-chain\nschedule: '0 0 31 2 *'\ncolour: red\nparams:\n  greeting: hi\n")


def test_validate_json_format(base: Path) -> None:
    _spoil(base)
    code, out, _ = run("-C", str(base), "validate", "--format", "json")
    assert code == 1
    assert json.loads(out) == [
        {"file": "instances/team-a/hello.yaml", "line": 2, "column": 11, "level": "error",
         "path": "$.schedule", "message": "cron schedule '0 0 31 2 *' can never fire "
         "(no month has such a day)", "check": "cron"},
        {"file": "instances/team-a/hello.yaml", "line": 3, "column": 1, "level": "error",
         "path": "$.colour", "message": "unknown field 'colour'", "check": "schema"},
    ]


def test_validate_github_format(base: Path) -> None:
    _spoil(base)
    code, out, _ = run("-C", str(base), "validate", "--format", "github")
    assert code == 1
    assert out.splitlines()[1] == (
        "::error file=instances/team-a/hello.yaml,line=3,col=1,title=wfchain schema::"
        "$.colour: unknown field 'colour' (schema)")


def test_validate_text_summary(base: Path) -> None:
    _spoil(base)
    code, out, err = run("-C", str(base), "validate")
    assert code == 1
    assert out.splitlines()[0] == ("instances/team-a/hello.yaml:2:11: [error] $.schedule: "
                                   "cron schedule '0 0 31 2 *' can never fire (no month has "
                                   "such a day) (cron)")
    assert err == "wfchain: 2 error(s), 0 warning(s) in 1 file(s)\n"


def test_bad_config_file(base: Path) -> None:
    (base / "wfchain.yaml").write_text("webhook:\n  port: 99999\nclusterDomian: x\n")
    code, out, _ = run("-C", str(base), "validate")
    assert code == 1
    assert out == (
        "wfchain.yaml:2:9: [error] $.webhook.port: 99999 is greater than the maximum of 65535"
        " (schema)\n"
        "wfchain.yaml:3:1: [error] $.clusterDomian: unknown field 'clusterDomian' (schema)\n")


def test_unpinned_image_is_refused(base: Path) -> None:
    (base / "wfchain.yaml").write_text("handoff:\n  image: example.org/curl-jq:latest\n")
    code, out, _ = run("-C", str(base), "validate")
    assert code == 1
    assert "image 'example.org/curl-jq:latest' is not pinned" in out


def test_usage_errors_exit_2(base: Path) -> None:
    assert run("-C", str(base), "validate", "--format", "xml")[0] == 2
    assert run("-C", str(base), "no-such-command")[0] == 2
    assert run("-C", str(base), "show")[0] == 2


def test_environment_errors_exit_3_without_traceback(base: Path) -> None:
    blocker = base / "blocker"
    blocker.write_text("a file where a folder should be")
    code, _, err = run("-C", str(base), "render", "-o", str(blocker / "out"))
    assert code == 3
    assert err.startswith("wfchain: error: ")
    assert "Traceback" not in err


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out == f"wfchain, version {__version__}\n"


def test_validate_never_calls_a_file_it_did_not_check_valid(
        base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(base)
    (base / "notes.yaml").write_text("a: 1\n")
    code, out, err = run("validate", "instances/team-a/hello.yaml", "notes.yaml",
                         "instances/team-a/gone.yaml", "templates/hello-chain/template.yaml")
    assert code == 1
    assert out == (
        "instances/team-a/gone.yaml:1:1: [error] $: no such file (path)\n"
        "notes.yaml:1:1: [error] $: not a file wfchain checks: give instance files "
        "(instances/<namespace>/<name>.yaml), template files "
        "(templates/<name>/template.yaml) or the config file (path)\n")
    assert err == "wfchain: 2 error(s), 0 warning(s) in 2 file(s)\n"
    assert run("validate", "instances/team-a/hello.yaml")[0] == 0


def test_a_folder_that_is_no_project_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("-C", str(tmp_path / "missing"), "validate")
    assert code == 2
    assert "Directory '" in err and "does not exist" in err
    for command in (["validate"], ["render"], ["render", "--check"], ["list"]):
        code, out, err = run("-C", str(tmp_path), *command)
        assert (code, out) == (2, ""), command
        assert err == (f"wfchain: error: {tmp_path} is not a wfchain project: it has no "
                       "templates/ or instances/ folder (use -C to name the project "
                       "folder, or `wfchain new template` to start one)\n")
    assert list(tmp_path.iterdir()) == []  # nothing created, nothing pruned


def test_the_output_folder_may_not_hold_the_sources(base: Path) -> None:
    for output in ("templates", "instances/team-a", "."):
        code, _, err = run("-C", str(base), "render", "-o", str(base / output))
        assert code == 2, output
        assert err.endswith("as the output folder: it holds the project's sources\n")
    assert not (base / "templates" / "team-a").exists()


def test_graph_to_a_missing_folder_is_a_usage_error(base: Path) -> None:
    code, _, err = run("-C", str(base), "graph", "team-a/hello", "-o",
                       str(base / "no" / "such" / "x.mmd"))
    assert code == 2
    assert err.startswith("wfchain: error: cannot write ")
    assert err.endswith("x.mmd: No such file or directory\n")


def test_links_out_of_the_project_are_never_followed(base: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("clusterDomain: TOPSECRET-VALUE\n")
    (base / "wfchain.yaml").symlink_to(secret)
    (base / "instances" / "team-a" / "loop.yaml").symlink_to("loop.yaml")
    code, out, _ = run("-C", str(base), "validate")
    assert code == 1
    assert out == (  # while the configuration has errors nothing else is checked
        "wfchain.yaml:1:1: [error] $: leads outside the project through a symbolic link (or "
        "loops); wfchain reads only files inside the project (path)\n")
    assert "TOPSECRET" not in out
    (base / "wfchain.yaml").unlink()
    code, out, _ = run("-C", str(base), "validate")
    assert (code, out) == (1, "instances/team-a/loop.yaml:1:1: [error] $: is a symbolic link "
                           "that loops; wfchain reads only files inside the project (path)\n")
    # an explicit --config is the user's own choice
    (base / "instances" / "team-a" / "loop.yaml").unlink()
    assert run("-C", str(base), "--config", str(secret), "validate")[0] == 1


def test_hidden_files_are_not_reported_valid(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(base)
    draft = base / "templates" / ".draft" / "template.yaml"
    draft.parent.mkdir()
    draft.write_text("garbage: [\n")
    code, out, _ = run("validate", "templates/.draft/template.yaml")
    assert code == 1
    assert out.startswith("templates/.draft/template.yaml:1:1: [error] $: not a file wfchain "
                          "checks")


def test_schemas_are_never_written_through_a_link(base: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    (base / "schemas").mkdir()
    (base / "schemas" / "config.schema.json").symlink_to(victim)
    code, _, err = run("-C", str(base), "schemas")
    assert code == 2
    assert err == (f"wfchain: error: refusing to replace {base}/schemas/config.schema.json: "
                   "it is not a regular file\n")
    assert victim.read_text() == "mine\n"
    shutil.rmtree(base / "schemas")
    (base / "schemas").symlink_to(tmp_path)
    assert run("-C", str(base), "schemas")[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "victim.txt"]
