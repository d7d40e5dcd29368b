"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit from a git commit.

pre-commit clones the hook repository (a snapshot of this checkout, committed to a
temporary git repository), creates the hook's virtualenv and pip-installs wfchain
into it, as it would for any user. Tests stay offline: pip gets no index
(PIP_NO_INDEX), builds with the virtualenv's own setuptools (build isolation off),
and finds wfchain's dependencies already installed on PYTHONPATH, a folder that
links the packages of this test environment. pre-commit's cache lives in a
temporary folder (PRE_COMMIT_HOME), never in $HOME.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from ruamel.yaml import YAML

from generator.pipeline import build
from generator.write import write_tree

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
INSTANCE = "instances/analytics/sales-eu.yaml"
CRON = "rendered/analytics/sales-eu/eventsource-cron.yaml"


def dependency_closure() -> list[importlib.metadata.Distribution]:
    """Installed distributions wfchain needs at run time: its requirements as this
    checkout's pyproject.toml declares them, and theirs, recursively."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    todo = [Requirement(text).name for text in project["project"]["dependencies"]]
    seen: dict[str, importlib.metadata.Distribution] = {}
    while todo:
        distribution = importlib.metadata.distribution(todo.pop())
        key = distribution.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen[key] = distribution
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return [seen[key] for key in sorted(seen)]


def link_dependencies(target: Path) -> Path:
    """A folder that holds (symlinks to) every installed dependency of wfchain."""
    target.mkdir()
    for distribution in dependency_closure():
        tops = {Path(str(f)).parts[0] for f in distribution.files or []}
        for top in sorted(tops - {"..", "__pycache__"}):
            source = Path(str(distribution.locate_file(top)))
            if source.exists() and not (target / top).exists():
                (target / top).symlink_to(source)
    return target


def environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PRE_COMMIT", "VIRTUALENV_", "WFCHAIN_", "PYTHON"))}
    env.update(
        GIT_AUTHOR_NAME="wfchain test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="wfchain test", GIT_COMMITTER_EMAIL="test@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(tmp / "home"),  # the module-scoped fixture runs before conftest's
        PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
        VIRTUALENV_OVERRIDE_APP_DATA=str(tmp / "virtualenv-app-data"),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads this "no-" option inverted: 0 = off
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CONFIG_FILE=os.devnull,
        PIP_CACHE_DIR=str(tmp / "pip-cache"),
        PYTHONPATH=str(tmp / "deps"),
    )
    return env


def _home(env: dict[str, str]) -> None:
    Path(env["HOME"]).mkdir(exist_ok=True)


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    _home(env)
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=600)


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = run(cwd, env, "git", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def hook_repository(target: Path, env: dict[str, str]) -> str:
    """A git repository holding what pip needs to install this checkout; its HEAD."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "generator", target / "generator", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "schemas", target / "schemas", ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, target / name)
    git(target, env, "init", "--quiet", "--initial-branch", "main")
    git(target, env, "add", "--all")
    git(target, env, "commit", "--quiet", "--message", "snapshot")
    return git(target, env, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A repository that uses wfchain's hooks, with pre-commit installed as its git hook."""
    tmp = tmp_path_factory.mktemp("pre-commit")
    link_dependencies(tmp / "deps")
    env = environment(tmp)
    rev = hook_repository(tmp / "wfchain", env)
    repo = tmp / "consumer"
    shutil.copytree(ROOT / "templates" / "nightly-etl", repo / "templates" / "nightly-etl")
    (repo / INSTANCE).parent.mkdir(parents=True)
    shutil.copy2(ROOT / INSTANCE, repo / INSTANCE)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {tmp / 'wfchain'}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: wfchain-validate\n"
        "      - id: wfchain-check\n")
    git(repo, env, "init", "--quiet", "--initial-branch", "main")
    result = run(repo, env, *PRE_COMMIT, "install")
    assert result.returncode == 0, result.stdout + result.stderr
    return repo, env


def render(repo: Path) -> None:
    result = build(repo)
    assert result.ok, result.diagnostics
    write_tree(repo / "rendered", result.files)


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    git(repo, env, "add", "--all")
    return run(repo, env, "git", "commit", "--quiet", "--message", message)


def test_a_commit_with_stale_rendered_output_is_rejected(
        consumer: tuple[Path, dict[str, str]]) -> None:
    repo, env = consumer
    render(repo)
    fresh = commit(repo, env, "add sales-eu, rendered")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert re.search(r"wfchain validate\.+Passed", fresh.stdout + fresh.stderr)
    assert re.search(r"wfchain render --check\.+Passed", fresh.stdout + fresh.stderr)

    text = (repo / INSTANCE).read_text()
    (repo / INSTANCE).write_text(text.replace('"0 2 * * *"', '"15 4 * * *"'))
    stale = commit(repo, env, "change the schedule, forget to render")
    output = stale.stdout + stale.stderr
    assert stale.returncode != 0, output
    assert re.search(r"wfchain render --check\.+Failed", output)
    assert f"--- a/{CRON}\n+++ b/{CRON}\n" in output
    assert '+      schedule: "15 4 * * *"' in output
    assert git(repo, env, "log", "--format=%s") == "add sales-eu, rendered\n"
    render(repo)  # what the author does next; the first commit showed fresh output passes
    git(repo, env, "add", "--all")


def test_a_commit_with_an_invalid_instance_is_rejected(
        consumer: tuple[Path, dict[str, str]]) -> None:
    repo, env = consumer
    bad = repo / "instances" / "analytics" / "broken.yaml"
    bad.write_text("template: nightly-etl\nschedule: '0 0 31 2 *'\n")
    git(repo, env, "add", "--all")
    result = run(repo, env, *PRE_COMMIT, "run", "wfchain-validate")  # the staged files
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"wfchain validate\.+Failed", output)
    assert "instances/analytics/broken.yaml:2:11: [error]" in output
    git(repo, env, "rm", "--quiet", "--force", "--", str(bad.relative_to(repo)))


# ---------------------------------------------------------------------------- the files

def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_the_hook_manifest_and_this_repositorys_config_are_valid(tmp_path: Path) -> None:
    env = environment(tmp_path)
    for command in ("validate-manifest", "validate-config"):
        name = ".pre-commit-hooks.yaml" if command == "validate-manifest" else \
            ".pre-commit-config.yaml"
        result = run(ROOT, env, *PRE_COMMIT, command, name)
        assert result.returncode == 0, result.stdout + result.stderr


def test_this_repository_runs_the_published_hooks_with_yamllint_and_ruff() -> None:
    published = {hook["id"]: hook for hook in load(ROOT / ".pre-commit-hooks.yaml")}
    assert set(published) == {"wfchain-validate", "wfchain-check"}
    assert published["wfchain-check"]["pass_filenames"] is False
    assert published["wfchain-validate"].get("pass_filenames", True) is True
    assert all(hook["language"] == "python" for hook in published.values())
    config = load(ROOT / ".pre-commit-config.yaml")
    hooks = {hook["id"]: (repo["repo"], hook) for repo in config["repos"]
             for hook in repo["hooks"]}
    assert {"yamllint", "ruff-check"} <= set(hooks)
    for hook_id, definition in published.items():
        repo, hook = hooks[hook_id]
        assert repo == "local"
        assert hook["entry"].endswith("/" + definition["entry"])
        for key in ("files", "pass_filenames", "always_run", "require_serial"):
            assert hook.get(key) == definition.get(key), (hook_id, key)


def test_this_repositorys_own_hooks_pass_on_a_snapshot_of_it(tmp_path: Path) -> None:
    """`pre-commit run --all-files` with this repository's .pre-commit-config.yaml on a
    git snapshot of the tracked files: validate, drift check, yamllint and ruff pass."""
    env = environment(tmp_path)
    snapshot = tmp_path / "snapshot"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() or source.is_symlink():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    (snapshot / ".venv").symlink_to(Path(sys.executable).parent.parent)
    git(snapshot, env, "init", "--quiet", "--initial-branch", "main")
    git(snapshot, env, "add", "--all")
    result = run(snapshot, env, *PRE_COMMIT, "run", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in ("wfchain validate", "wfchain render --check", "yamllint --strict",
                 "ruff check"):
        assert re.search(re.escape(name) + r"\.+Passed", output), (name, output)
