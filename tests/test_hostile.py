"""The hostile-input corpus SECURITY.md promises: every case is an error with a
position, or safe output; never a traceback, a crash or a write outside ``rendered/``.

Each case is a folder ``tests/hostile_cases/<case>/`` holding ``case.yaml`` (and,
for errors, ``expected.txt``). A case starts from the small project in
``tests/fixtures/base``, copied to ``<tmp>/p``, beside an empty folder
``<tmp>/outside`` that stands for the rest of the machine. ``case.yaml``::

    description: what the attacker tries (one line or more)
    expect: error            # or ok
    files:                   # files added or replaced, written as UTF-8 text
      instances/team-a/hello.yaml: |
        ...
    replace:                 # text replacements in the copied files (first match)
      - {file: templates/hello-chain/template.yaml, old: "...", new: "..."}
    remove: [wfchain.yaml]   # copied files to delete
    outside:                 # files created in <tmp>/outside (never in the project)
      secret.yaml: "password: hunter2\\n"
    generate:                # files made at test time (big, binary or links)
      - file: instances/team-a/hello.yaml   # path in the project
        text: "..."          # the content; "@OUTSIDE@" becomes <tmp>/outside
        fill: {marker: "@FILL@", unit: "x", count: 100}   # marker -> unit * count
        # or {marker, unit, size: 1048577}: repeat unit so the file has `size` bytes;
        # a list of such fills is applied in order
        encoding: utf-8      # or utf-16 (with its BOM), utf-16-le (none), latin-1
        bom: true            # put a UTF-8 byte-order mark first
      - file: instances/team-a/evil.yaml
        symlink: secret.yaml # a symbolic link to <tmp>/outside/<target> instead
    absent: [/tmp/x]         # optional: absolute paths that must not exist afterwards
    stderr: "..."            # optional: a text the standard error must contain
                             # (default for errors: it ends with "nothing written")
    values:                  # ok only: hostile values that must arrive as plain data
      - file: team-a/hello/workflowtemplate-workflow1.yaml   # under rendered/
        path: [spec, templates, 1, container, env, 0, value]
        param: greeting      # the instance's params.greeting, as a stock YAML loader
                             # reads the instance file; or `equals: "exact text"`

Every case runs ``wfchain render`` with the base project's rendering already in
``rendered/`` and asserts: no "Traceback" anywhere, no "unexpected error", exit
code 1 (error) or 0 (ok), and nothing under ``<tmp>`` changed but ``p/rendered/``
(files, folders and symbolic links compared before/after, links never followed).

- An **error** case also asserts that standard output is exactly ``expected.txt``
  (``path:line:col: [error] $.json.path: message (check)`` lines) and that
  ``rendered/`` is byte for byte what it was.
- An **ok** case asserts that every rendered file parses, with ruamel.yaml (YAML
  1.2) and PyYAML (YAML 1.1) alike, as exactly one document; that the rendered
  files are the base project's files, with the same data except the listed
  values; and that each listed value is exactly the input string.

Regenerate ``expected.txt`` with WFCHAIN_REGENERATE_GOLDEN=1 (never when CI is set),
then read every changed file: each message must point at the right place and say
what a user needs to know.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml as pyyaml
from click.testing import CliRunner
from ruamel.yaml import YAML

from generator.cli import cli

HERE = Path(__file__).parent
BASE = HERE / "fixtures" / "base"
CASES_DIR = HERE / "hostile_cases"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.yaml").is_file())
REGENERATE = os.environ.get("WFCHAIN_REGENERATE_GOLDEN") == "1" and not os.environ.get("CI")
MANIFEST = ".wfchain-manifest.json"
#: the categories SECURITY.md names; every one needs at least one case
REQUIRED = ("size-", "depth-", "aliases-", "merge-", "duplicate-key-", "non-utf8-", "bom-",
            "utf16-", "nul-", "control-", "top-level-", "tag-", "huge-int", "name-",
            "lookalike-", "symlink-", "value-", "secret-")


def load_case(case: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((CASES_DIR / case / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), case
    assert data.get("expect") in ("error", "ok"), f"{case}: expect must be error or ok"
    assert data.get("description"), f"{case}: no description"
    return data


def snapshot(folder: Path) -> dict[str, tuple[str, bytes]]:
    """Everything below ``folder``: files (content), folders, symbolic links (target)."""
    found: dict[str, tuple[str, bytes]] = {}
    for current, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(current)
        for name in [*dirnames, *filenames]:
            path = base / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[relative] = ("link", os.fsencode(os.readlink(path)))
            elif path.is_dir():
                found[relative] = ("dir", b"")
            else:
                found[relative] = ("file", path.read_bytes())
    return found


def _generated(spec: dict[str, Any], outside: Path) -> bytes:
    text = str(spec.get("text", "")).replace("@OUTSIDE@", str(outside))
    fills = spec.get("fill") or []
    encoding = str(spec.get("encoding", "utf-8"))
    prefix = b"\xef\xbb\xbf" if spec.get("bom") else b""
    for fill in [fills] if isinstance(fills, dict) else fills:
        marker, unit = str(fill["marker"]), str(fill["unit"])
        assert marker in text, f"fill marker {marker!r} not in the text"
        if "size" in fill:
            rest = len(prefix) + len(text.replace(marker, "", 1).encode(encoding))
            count, odd = divmod(int(fill["size"]) - rest, len(unit.encode(encoding)))
            assert count >= 0 and odd == 0, "fill size cannot be reached with this unit"
        else:
            count = int(fill["count"])
        text = text.replace(marker, unit * count, 1)
    return prefix + text.encode(encoding)


def make_case(case: str, spec: dict[str, Any], tmp_path: Path) -> tuple[Path, Path]:
    project, outside = tmp_path / "p", tmp_path / "outside"
    shutil.copytree(BASE, project)
    outside.mkdir()
    for relative, text in (spec.get("outside") or {}).items():
        (outside / relative).parent.mkdir(parents=True, exist_ok=True)
        (outside / relative).write_text(text, encoding="utf-8")
    for relative in spec.get("remove") or ():
        (project / relative).unlink()
    for item in spec.get("replace") or ():
        path = project / item["file"]
        text = path.read_text(encoding="utf-8")
        assert item["old"] in text, f"{case}: replace 'old' text not found in {path}"
        path.write_text(text.replace(item["old"], item["new"], 1), encoding="utf-8")
    for relative, text in (spec.get("files") or {}).items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    for item in spec.get("generate") or ():
        path = project / item["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        if "symlink" in item:
            path.symlink_to(outside / item["symlink"])
        else:
            path.write_bytes(_generated(item, outside))
    return project, outside


def _render(project: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q"])
    assert result.exit_code == 0, result.output
    folder = project / "rendered"
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def rendered_base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    project = tmp_path_factory.mktemp("base") / "p"
    shutil.copytree(BASE, project)
    return _render(project)


def write_rendered(project: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = project / "rendered" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def parse_one(text: str, where: str) -> Any:
    """The one document of a rendered file; YAML 1.2 and 1.1 readers must agree."""
    documents = list(YAML(typ="safe").load_all(text))
    assert len(documents) == 1, f"{where}: {len(documents)} YAML documents"
    legacy = list(pyyaml.safe_load_all(text))
    assert legacy == documents, f"{where}: YAML 1.1 and 1.2 readers disagree"
    return documents[0]


def dig(data: Any, path: list[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def put(data: Any, path: list[str | int], value: Any) -> None:
    dig(data, path[:-1])[path[-1]] = value


def expected_value(item: dict[str, Any], project: Path) -> Any:
    if "equals" in item:
        return item["equals"]
    source = (project / "instances" / "team-a" / "hello.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(source)["params"][item["param"]]


@pytest.mark.parametrize("case", CASES)
def test_hostile_input(case: str, tmp_path: Path, rendered_base: dict[str, bytes]) -> None:
    spec = load_case(case)
    project, _ = make_case(case, spec, tmp_path)
    write_rendered(project, rendered_base)
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, ["-C", str(project), "render"])

    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "unexpected error" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    after = snapshot(tmp_path)
    outside_rendered = {k: v for k, v in after.items() if not k.startswith("p/rendered/")}
    assert outside_rendered == {k: v for k, v in before.items()
                                if not k.startswith("p/rendered/")}, "a write outside rendered/"
    for path in spec.get("absent") or ():
        assert not os.path.lexists(path), f"{path} was written"
    if "stderr" in spec:
        assert spec["stderr"] in result.stderr, result.stderr

    if spec["expect"] == "error":
        expected_file = CASES_DIR / case / "expected.txt"
        if REGENERATE:
            expected_file.write_text(result.stdout, encoding="utf-8")
        assert result.exit_code == 1, output
        assert result.stdout == expected_file.read_text(encoding="utf-8")
        if "stderr" not in spec:
            assert result.stderr.endswith("wfchain: nothing written\n"), result.stderr
        assert after == before
        return

    assert result.exit_code == 0, output
    assert result.stdout == ""
    assert (project / "rendered").is_dir() and not (project / "rendered").is_symlink()
    rendered = {k.removeprefix("p/rendered/"): v[1] for k, v in after.items()
                if k.startswith("p/rendered/") and v[0] == "file"}
    assert sorted(rendered) == sorted(rendered_base), "other files than the base project's"
    substituted: dict[str, list[dict[str, Any]]] = {}
    for item in spec.get("values") or ():
        substituted.setdefault(item["file"], []).append(item)
    assert substituted, f"{case}: an ok case names the values it checks"
    for relative, data in rendered.items():
        if relative == MANIFEST:
            continue
        document = parse_one(data.decode("utf-8"), relative)
        reference = parse_one(rendered_base[relative].decode("utf-8"), relative)
        for item in substituted.get(relative, ()):
            value = expected_value(item, project)
            assert dig(document, item["path"]) == value, f"{relative}: {item['path']}"
            put(reference, item["path"], value)
        assert document == reference, f"{relative}: the data changed beyond the values"


def test_corpus_covers_security_md() -> None:
    assert len(CASES) >= 40
    for prefix in REQUIRED:
        assert any(case.startswith(prefix) for case in CASES), prefix
    kinds = {load_case(case)["expect"] for case in CASES}
    assert kinds == {"error", "ok"}
    for case in CASES:
        if load_case(case)["expect"] == "error":
            assert (CASES_DIR / case / "expected.txt").is_file(), case
