"""Same inputs, same bytes: across runs, input order, working directory, hash seed."""

from __future__ import annotations

import os
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from generator.cli import cli
from generator.emit import dump

ROOT = Path(__file__).resolve().parents[1]
BASE = Path(__file__).parent / "fixtures" / "base"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_project(target: Path, *, reverse: bool = False) -> Path:
    """Copy templates/ and instances/, creating files in sorted or reversed order (so
    directory listings come back in a different order)."""
    for name in ("templates", "instances"):
        files = sorted((ROOT / name).rglob("*"), reverse=reverse)
        for source in files:
            if source.is_file():
                dest = target / source.relative_to(ROOT)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
    if (ROOT / "wfchain.yaml").exists():
        shutil.copyfile(ROOT / "wfchain.yaml", target / "wfchain.yaml")
    return target


def wfchain(args: list[str], cwd: Path, seed: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def test_byte_identical_across_runs_order_cwd_and_hash_seed(tmp_path: Path) -> None:
    first = copy_project(tmp_path / "a")
    second = copy_project(tmp_path / "b", reverse=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    runs = [
        wfchain(["render", "-q"], first, "0"),
        wfchain(["-C", str(second), "render", "-q"], elsewhere, "12345"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    one, two = tree(first / "rendered"), tree(second / "rendered")
    assert one and one == two
    # a second run over an existing tree changes nothing
    again = wfchain(["render"], first, "999")
    assert again.returncode == 0
    assert "0 written" in again.stderr
    assert tree(first / "rendered") == one


_names = st.from_regex(r"[a-z][a-z0-9-]{0,60}[a-z0-9]", fullmatch=True)
_namespaces = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)
_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                       blacklist_characters="\x00"), max_size=40)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=_names, namespace=_namespaces, greeting=_text,
       repeat=st.integers(min_value=-10**12, max_value=10**12), loud=st.booleans(),
       salt=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8))
def test_property_deterministic_and_faithful(tmp_path_factory: pytest.TempPathFactory, name: str,
                                             namespace: str, greeting: str, repeat: int,
                                             loud: bool, salt: str) -> None:
    base = tmp_path_factory.mktemp(salt)
    project = base / "p"
    shutil.copytree(BASE / "templates", project / "templates")
    instance = project / "instances" / namespace / f"{name}.yaml"
    instance.parent.mkdir(parents=True)
    yaml = YAML(typ="safe")
    # written with wfchain's own emitter (which escapes NEL, LS, PS and controls)
    instance.write_text(dump({"template": "hello-chain", "schedule": "0 1 * * *",
                              "params": {"greeting": greeting, "repeat": repeat,
                                         "loud": loud}}), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(cli, ["-C", str(project), "render", "-q", "-o", str(base / "o1")])
    second = runner.invoke(cli, ["-C", str(project), "render", "-q", "-o", str(base / "o2")])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0
    assert tree(base / "o1") == tree(base / "o2")
    # the value reaches the manifest exactly, whatever it contains
    workflow1 = yaml.load((base / "o1" / namespace / name /
                           "workflowtemplate-workflow1.yaml").read_text(encoding="utf-8"))
    env = workflow1["spec"]["templates"][1]["container"]["env"]
    assert env == [{"name": "GREETING", "value": greeting}]
    ident = workflow1["metadata"]["labels"]["app.kubernetes.io/instance"]
    assert len(ident) <= 39 and ident.startswith(name[:32].rstrip("-"))


class _Reversed:
    """What ``os.scandir`` returns, its entries in reverse name order."""

    def __init__(self, entries: list[os.DirEntry[str]]) -> None:
        self.entries = entries

    def __iter__(self) -> Iterator[os.DirEntry[str]]:
        return iter(self.entries)

    def __enter__(self) -> _Reversed:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def close(self) -> None:
        return None


def test_reversed_directory_listings_give_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every listing the process makes (os.scandir, os.listdir: what Path.iterdir, glob
    and rglob use) comes back in reverse order: the output must not change."""
    project = copy_project(tmp_path / "p")
    normal = CliRunner().invoke(cli, ["-C", str(project), "render", "-q", "-o",
                                      str(tmp_path / "normal")])
    assert normal.exit_code == 0, normal.output
    scandir, listdir = os.scandir, os.listdir

    def reversed_scandir(path: Any = ".") -> _Reversed:
        with scandir(path) as entries:
            return _Reversed(sorted(entries, key=lambda e: e.name, reverse=True))

    def reversed_listdir(path: Any = ".") -> list[str]:
        return sorted(listdir(path), reverse=True)

    monkeypatch.setattr(os, "scandir", reversed_scandir)
    monkeypatch.setattr(os, "listdir", reversed_listdir)
    assert [p.name for p in (project / "instances").iterdir()] == \
        sorted((p.name for p in (project / "instances").iterdir()), reverse=True)
    flipped = CliRunner().invoke(cli, ["-C", str(project), "render", "-q", "-o",
                                       str(tmp_path / "flipped")])
    monkeypatch.undo()
    assert flipped.exit_code == 0, flipped.output
    assert tree(tmp_path / "normal") == tree(tmp_path / "flipped")
    assert len(tree(tmp_path / "normal")) > 100


def test_the_order_of_selected_instances_does_not_matter(tmp_path: Path) -> None:
    outputs = []
    for index, selection in enumerate((["analytics/sales-eu", "ml/churn-model"],
                                       ["ml/churn-model", "analytics/sales-eu"])):
        project = copy_project(tmp_path / f"p{index}")
        result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q", *selection])
        assert result.exit_code == 0, result.output
        outputs.append(tree(project / "rendered"))
    assert outputs[0] == outputs[1]
    assert any(path.startswith("ml/churn-model/") for path in outputs[0])
