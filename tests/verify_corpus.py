"""The broken-chain corpus of tests/verify_cases: render, patch, verify (shared by the
tests of generator.verify and of its schemas)."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from generator import emit
from generator.diagnostics import format_diagnostics
from generator.pipeline import build
from generator.verify import Verifier
from generator.verify_load import collect_files, load_files

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "verify_cases"
#: Verification time of every test: schedules must fire within 366 days of it.
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
UPDATE = os.environ.get("WFCHAIN_UPDATE_VERIFY_CASES") == "1" and not os.environ.get("CI")


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    description: str
    base: str
    patch: list[dict[str, Any]]
    expect: list[str]


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.append(Case(path.stem, path, data["description"], data["base"],
                          data.get("patch") or [], data.get("expect") or []))
    return cases


@cache
def rendered_project() -> dict[str, str]:
    """Every file `wfchain render` writes for the bundled templates and instances."""
    result = build(ROOT)
    assert result.ok, format_diagnostics(result.diagnostics, "text")
    return {f.path: f.content for f in result.files}


def write_files(files: dict[str, str], target: Path) -> None:
    for relative, content in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _walk(data: Any, path: list[Any]) -> tuple[Any, Any]:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]


def _header(content: str) -> list[str]:
    lines = []
    for line in content.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else "")
    return lines


def patched_instance(case: Case) -> dict[str, str]:
    """The files of the case's base instance folder, patched."""
    prefix = case.base + "/"
    files = {p: c for p, c in rendered_project().items() if p.startswith(prefix)}
    assert files, f"{case.name}: no rendered instance {case.base}"
    for operation in case.patch:
        name = prefix + operation["file"]
        if operation.get("remove-file"):
            del files[name]
            continue
        if "content" in operation:
            files[name] = operation["content"]
            continue
        content = files[name]
        if "replace" in operation:
            assert operation["replace"] in content, f"{case.name}: {operation['replace']!r}"
            files[name] = content.replace(operation["replace"], operation["with"], 1)
            continue
        data = yaml.safe_load(content)
        if "set" in operation:
            parent, key = _walk(data, operation["set"])
            parent[key] = operation["value"]
        elif "delete" in operation:
            parent, key = _walk(data, operation["delete"])
            del parent[key]
        elif "rename" in operation:
            parent, key = _walk(data, operation["rename"])
            items = [(operation["to"] if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        elif "append" in operation:
            parent, key = _walk(data, operation["append"])
            parent[key].append(operation["value"])
        else:
            raise AssertionError(f"{case.name}: unknown operation {operation}")
        files[name] = emit.dump(data, _header(content))
    return files


def verify_folder(folder: Path, verifier: Verifier) -> list[str]:
    """Diagnostics (text lines) for every manifest under ``folder``, files relative to it."""
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        files, _ = collect_files([Path(".")])
        manifests, problems = load_files([(p, d.removeprefix("./")) for p, d in files])
        problems += verifier.verify(manifests, complete=not problems)
    finally:
        os.chdir(cwd)
    return [d.text() for d in sorted(set(problems))]


def run_case(case: Case, verifier: Verifier, tmp: Path) -> list[str]:
    write_files(patched_instance(case), tmp)
    return verify_folder(tmp, verifier)


def update_expectation(case: Case, found: list[str]) -> None:
    text = case.path.read_text(encoding="utf-8")
    head = text[: text.index("\nexpect:") + 1]
    body = "".join(f"  - {json.dumps(line, ensure_ascii=False)}\n" for line in found)
    case.path.write_text(head + "expect:\n" + body if found else head + "expect: []\n",
                         encoding="utf-8")
