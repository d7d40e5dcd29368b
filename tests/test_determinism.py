"""Same inputs, same bytes: across runs, input order, working directory, hash seed."""

from __future__ import annotations

import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

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
def test_property_deterministic_and_faithful(tmp_path_factory: object, name: str,
                                             namespace: str, greeting: str, repeat: int,
                                             loud: bool, salt: str) -> None:
    assert hasattr(tmp_path_factory, "mktemp")
    base = tmp_path_factory.mktemp(salt)  # type: ignore[attr-defined]
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
