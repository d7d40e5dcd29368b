"""`wfchain render --check`: statuses, the exact diff, the three output formats, and
that it never changes anything."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import drift
from generator.cli import cli
from generator.render import RenderedFile
from generator.write import MANIFEST, OWNERSHIP_MARK, write_tree

ROOT = Path(__file__).resolve().parents[1]
MARK = OWNERSHIP_MARK + ". Do not edit.\n"


def snapshot(folder: Path) -> dict[str, tuple[bool, bytes]]:
    out = {}
    for current, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = Path(current) / name
            is_dir = stat.S_ISDIR(path.lstat().st_mode)
            out[path.relative_to(folder).as_posix()] = (is_dir,
                                                        b"" if is_dir else path.read_bytes())
    return out


def gen(path: str, body: str) -> RenderedFile:
    return RenderedFile(path, MARK + body)


@pytest.fixture
def drifted(tmp_path: Path) -> tuple[Path, list[RenderedFile]]:
    """rendered/ as wfchain wrote it, then: sources changed (a.yaml), a new file
    (new.yaml), an instance removed (gone/), a hand edit (edited.yaml), a foreign file."""
    out = tmp_path / "rendered"
    write_tree(out, [gen("ns/a.yaml", "a: 1\nb: 2\n"), gen("ns/edited.yaml", "e: 1\n"),
                     gen("gone/x.yaml", "x: 1\n")])
    (out / "ns/edited.yaml").write_text(MARK + "e: 1\nhand: made\n")
    (out / "NOTES.md").write_text("mine\n")
    files = [gen("ns/a.yaml", "a: 1\nb: 3\n"), gen("ns/edited.yaml", "e: 1\n"),
             gen("ns/new.yaml", "n: 1\n")]
    return out, files


def test_a_current_tree_has_no_drift(tmp_path: Path) -> None:
    files = [gen("ns/a.yaml", "a: 1\n")]
    write_tree(tmp_path / "rendered", files)
    report = drift.check(tmp_path / "rendered", files, shown="rendered")
    assert report.current and report.drifts == [] and report.foreign == []
    assert drift.format_report(report, "text") == ""
    assert drift.summary(report) == ["rendered/ is up to date"]


def test_every_kind_of_drift_is_named(drifted: tuple[Path, list[RenderedFile]]) -> None:
    out, files = drifted
    before = snapshot(out.parent)
    report = drift.check(out, files, shown="rendered")
    assert snapshot(out.parent) == before  # a check changes nothing
    assert [(d.path, d.status.value) for d in report.drifts] == [
        ("rendered/.wfchain-manifest.json", "stale"),
        ("rendered/ns/a.yaml", "stale"),
        ("rendered/ns/edited.yaml", "edited"),
        ("rendered/ns/new.yaml", "missing"),
        ("rendered/gone/x.yaml", "orphaned"),
    ]
    assert report.foreign == ["rendered/NOTES.md"]
    assert not report.current
    assert report.counts() == {"stale": 2, "missing": 1, "orphaned": 1, "edited": 1,
                               "unmanaged": 0}


def test_the_diff_is_a_git_style_unified_diff(drifted: tuple[Path, list[RenderedFile]]) -> None:
    out, files = drifted
    diffs = {d.path: d.diff for d in drift.check(out, files, shown="rendered").drifts}
    assert diffs["rendered/ns/a.yaml"] == (
        "--- a/rendered/ns/a.yaml\n"
        "+++ b/rendered/ns/a.yaml\n"
        "@@ -1,3 +1,3 @@\n"
        f" {MARK}"
        " a: 1\n"
        "-b: 2\n"
        "+b: 3\n")
    assert diffs["rendered/ns/new.yaml"] == (
        "--- /dev/null\n+++ b/rendered/ns/new.yaml\n@@ -0,0 +1,2 @@\n"
        f"+{MARK}+n: 1\n")
    assert diffs["rendered/gone/x.yaml"] == (
        "--- a/rendered/gone/x.yaml\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
        f"-{MARK}-x: 1\n")
    assert diffs["rendered/ns/edited.yaml"].endswith(" e: 1\n-hand: made\n")


def test_a_missing_final_newline_is_marked_as_git_does() -> None:
    assert drift.unified_diff(b"a\nb", b"a\nb\n", "f") == (
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n")


def test_github_format_annotates_each_file_and_groups_its_diff(
        drifted: tuple[Path, list[RenderedFile]]) -> None:
    out, files = drifted
    text = drift.format_report(drift.check(out, files, shown="rendered"), "github")
    lines = text.splitlines()
    assert lines[1] == ("::error file=rendered/ns/a.yaml,line=1,col=1,title=wfchain drift::"
                        "$: stale: its sources changed since it was rendered; run `wfchain "
                        "render` (drift)")
    assert "::error file=rendered/ns/edited.yaml," in text
    assert "::group::orphaned: rendered/gone/x.yaml\n--- a/rendered/gone/x.yaml\n" in text
    assert lines.count("::endgroup::") == 5


def test_json_format_is_one_machine_readable_object(
        drifted: tuple[Path, list[RenderedFile]]) -> None:
    out, files = drifted
    document = json.loads(drift.format_report(drift.check(out, files, shown="rendered"),
                                              "json"))
    assert document["current"] is False
    assert document["counts"] == {"stale": 2, "missing": 1, "orphaned": 1, "edited": 1,
                               "unmanaged": 0}
    assert {f["path"]: f["status"] for f in document["files"]}["rendered/ns/edited.yaml"] == \
        "edited"
    assert all(f["diff"].startswith(("--- a/", "--- /dev/null")) for f in document["files"])
    assert document["foreign"] == ["rendered/NOTES.md"]
    assert document["diagnostics"] == []


def test_leftovers_of_an_interrupted_render_are_reported(tmp_path: Path) -> None:
    files = [gen("ns/a.yaml", "a: 1\n")]
    write_tree(tmp_path / "rendered", files)
    (tmp_path / "rendered.wfchain-dead.tmp").mkdir()
    report = drift.check(tmp_path / "rendered", files, shown="rendered")
    assert report.current and report.leftovers == ["rendered.wfchain-dead.tmp"]
    assert any("interrupted render" in line for line in drift.summary(report))


def test_a_missing_output_folder_is_all_missing(tmp_path: Path) -> None:
    report = drift.check(tmp_path / "nowhere" / "rendered", [gen("ns/a.yaml", "a\n")],
                         shown="rendered")
    assert [d.status.value for d in report.drifts] == ["missing", "missing"]
    assert not (tmp_path / "nowhere").exists()


# ---------------------------------------------------------------------------- the CLI

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("drift") / "project"
    (target / "instances" / "analytics").mkdir(parents=True)
    shutil.copytree(ROOT / "templates" / "nightly-etl", target / "templates" / "nightly-etl")
    for name in ("sales-eu", "sales-cn"):
        shutil.copy2(ROOT / "instances" / "analytics" / f"{name}.yaml",
                     target / "instances" / "analytics" / f"{name}.yaml")
    result = CliRunner().invoke(cli, ["-C", str(target), "render", "-q"])
    assert result.exit_code == 0, result.output
    return target


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_on_a_fresh_render_and_prints_nothing_to_stdout(project: Path) -> None:
    code, out, err = run(project, "render", "--check")
    assert (code, out) == (0, "")
    assert "rendered/ is up to date" in err


def test_check_fails_with_a_diff_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    target = copy / "rendered" / "analytics" / "sales-eu" / "eventsource-cron.yaml"
    target.write_text(target.read_text().replace("Europe/Berlin", "Europe/Paris"))
    before = snapshot(copy)
    code, out, err = run(copy, "render", "--check")
    assert code == 1
    assert out.startswith("--- a/rendered/analytics/sales-eu/eventsource-cron.yaml\n"
                          "+++ b/rendered/analytics/sales-eu/eventsource-cron.yaml\n")
    assert "-      timezone: Europe/Paris\n+      timezone: Europe/Berlin\n" in out
    assert "rendered/analytics/sales-eu/eventsource-cron.yaml: edited:" in err
    assert "out of date (1 edited)" in err
    assert snapshot(copy) == before
    # Only the selected instance is compared when instances are named.
    assert run(copy, "render", "--check", "analytics/sales-cn")[0] == 0
    assert run(copy, "render", "--check", "analytics/sales-eu")[0] == 1


def test_check_of_broken_sources_reports_them(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    instance = copy / "instances" / "analytics" / "sales-eu.yaml"
    instance.write_text(instance.read_text().replace('"0 2 * * *"', '"0 25 * * *"'))
    code, out, err = run(copy, "render", "--check")
    assert code == 1
    assert out.startswith("instances/analytics/sales-eu.yaml:")
    assert "cannot check rendered/" in err
    code, out, _ = run(copy, "render", "--check", "--format", "json")
    document = json.loads(out)
    assert code == 1 and document["current"] is False
    assert document["diagnostics"][0]["file"] == "instances/analytics/sales-eu.yaml"


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_check_and_validate_share_the_formats(project: Path, tmp_path: Path, fmt: str) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    (copy / "rendered" / MANIFEST).unlink()
    code, out, _ = run(copy, "render", "--check", "--format", fmt)
    assert code == 1
    if fmt == "json":
        assert json.loads(out)["files"][0]["status"] == "missing"
    else:
        assert out.startswith("::error file=rendered/.wfchain-manifest.json,line=1,col=1,")
    instance = copy / "instances" / "analytics" / "sales-cn.yaml"
    instance.write_text(instance.read_text().replace("template: nightly-etl", "template: 7"))
    code, out, _ = run(copy, "validate", "--format", fmt)
    assert code == 1
    if fmt == "json":
        assert json.loads(out)[0]["file"] == "instances/analytics/sales-cn.yaml"
    else:
        assert out.startswith("::error file=instances/analytics/sales-cn.yaml,line=")


def test_hand_written_files_where_argo_cd_syncs_fail_the_check(tmp_path: Path) -> None:
    """A folder <namespace>/<name>/ that no instance renders would become an Argo CD
    Application of its own, and in an instance's folder Argo CD reads more than the
    kustomization (.argocd-source.yaml, Chart.yaml): such files are drift. Files at the
    top or in _eventbus/ (excluded by the ApplicationSet) stay foreign."""
    out = tmp_path / "rendered"
    files = [gen("team/app/a.yaml", "a: 1\n"), gen("team/app/kustomization.yaml", "k: 1\n")]
    write_tree(out, files)
    (out / "team" / "ghost").mkdir()
    (out / "team" / "ghost" / "crb.yaml").write_text("kind: ClusterRoleBinding\n")
    (out / "team" / "app" / ".argocd-source.yaml").write_text("kustomize: {}\n")
    (out / "NOTES.md").write_text("mine\n")
    (out / "_eventbus").mkdir()
    (out / "_eventbus" / "extra.yaml").write_text("x: 1\n")
    report = drift.check(out, files, shown="rendered")
    assert [(d.path, d.status.value) for d in report.drifts] == [
        ("rendered/team/app/.argocd-source.yaml", "unmanaged"),
        ("rendered/team/ghost/crb.yaml", "unmanaged")]
    assert report.drifts[1].message.startswith("not generated by wfchain, in a folder Argo "
                                               "CD syncs as an Application")
    assert "-kind: ClusterRoleBinding\n" in report.drifts[1].diff
    assert report.foreign == ["rendered/NOTES.md", "rendered/_eventbus/extra.yaml"]
    assert not report.current
    # checking only some instances does not judge the others' folders
    partial = drift.check(out, files[:1], shown="rendered", complete=False)
    assert partial.current


def test_render_warns_and_check_fails_on_a_hand_written_application_folder(
        project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    ghost = copy / "rendered" / "analytics" / "ghost"
    ghost.mkdir()
    (ghost / "admin.yaml").write_text("apiVersion: rbac.authorization.k8s.io/v1\n"
                                      "kind: ClusterRoleBinding\n")
    code, _, err = run(copy, "render")
    assert code == 0
    assert ("wfchain: warning: rendered/analytics/ghost/admin.yaml: not generated by "
            "wfchain, in a folder Argo CD syncs as an Application (`render --check` fails "
            "until it is removed)\n") in err
    assert (ghost / "admin.yaml").exists()  # never deleted: it is not wfchain's
    code, out, err = run(copy, "render", "--check", "--format", "github")
    assert code == 1
    assert out.startswith("::error file=rendered/analytics/ghost/admin.yaml,line=1,col=1,"
                          "title=wfchain drift::$: unmanaged: not generated by wfchain")
    assert "out of date (1 unmanaged)" in err
    shutil.rmtree(ghost)
    assert run(copy, "render", "--check")[0] == 0
