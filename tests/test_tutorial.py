"""docs/tutorial.md, run: every ```sh block in order in an empty temporary folder.

Conventions of the tutorial (checked here):

- ```` ```sh ```` blocks are run with bash (``set -euo pipefail``), one after the other;
  the working directory carries over from one block to the next.
- A ```` ```text ```` or ```` ```mermaid ```` block right after a ``sh`` block (nothing
  but blank lines between them) is that block's standard output, compared exactly.
- ```` ```sh cluster ```` blocks need a real cluster and are not run; each is followed
  by a ``sh`` block starting with ``# Offline stand-in`` that is run instead.
- The last command is the drift check, ``wfchain render --check``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import kustomize_command

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
OUTPUT_KINDS = ("text", "mermaid")


@dataclass
class Block:
    info: str
    body: str
    line: int
    expected: str | None = None


def tutorial_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    previous_end = -1
    for match in FENCE.finditer(text):
        info, body = match.group(1).strip(), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        adjacent = previous_end >= 0 and not text[previous_end:match.start()].strip()
        if info in OUTPUT_KINDS and adjacent and blocks and blocks[-1].info == "sh":
            blocks[-1].expected = body
        else:
            blocks.append(Block(info, body, line))
        previous_end = match.end()
    return blocks


@pytest.fixture(scope="module")
def blocks(root: Path) -> list[Block]:
    return tutorial_blocks((root / "docs" / "tutorial.md").read_text(encoding="utf-8"))


def test_conventions(blocks: list[Block]) -> None:
    runnable = [b for b in blocks if b.info == "sh"]
    assert len(runnable) >= 10
    for index, block in enumerate(blocks):
        if block.info == "sh cluster":
            following = blocks[index + 1]
            assert following.info == "sh", f"line {block.line}: no stand-in after a cluster block"
            assert following.body.startswith("# Offline stand-in"), following.line
    assert runnable[-1].body.strip().splitlines()[-1] == "wfchain render --check"
    assert {b.info for b in blocks} <= {"sh", "sh cluster", "text", "mermaid", "yaml",
                                        "console"}


def test_links_point_at_existing_docs(root: Path) -> None:
    text = (root / "docs" / "tutorial.md").read_text(encoding="utf-8")
    targets = set(re.findall(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)", text))
    assert {"templates.md", "instances.md", "naming.md", "config.md", "cli.md",
            "argocd.md"} <= targets
    missing = sorted(t for t in targets if not (root / "docs" / t).is_file())
    assert missing == [], f"the tutorial links to missing docs: {missing}"


def _environment() -> dict[str, str]:
    env = dict(os.environ)  # HOME is a temporary folder (conftest)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update({
        "GIT_AUTHOR_NAME": "Tutorial Reader", "GIT_AUTHOR_EMAIL": "reader@example.com",
        "GIT_COMMITTER_NAME": "Tutorial Reader", "GIT_COMMITTER_EMAIL": "reader@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "TERM": "dumb",
    })
    env.pop("WFCHAIN_DEBUG", None)
    return env


def test_the_tutorial_runs_from_an_empty_folder_to_a_passing_drift_check(
        blocks: list[Block], tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    state = tmp_path / "cwd"
    state.write_text(str(work))
    # The stand-in builds with whichever kustomize this machine has (the conftest rule).
    kustomize = " ".join(kustomize_command())
    env = _environment()
    transcript: list[tuple[Block, subprocess.CompletedProcess[str]]] = []
    for block in (b for b in blocks if b.info == "sh"):
        body = block.body.replace("kubectl kustomize", kustomize)
        script = f'set -euo pipefail\ncd "$(cat "{state}")"\n{body}\npwd > "{state}"\n'
        completed = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                   env=env, check=False, timeout=300)
        assert completed.returncode == 0, (
            f"docs/tutorial.md line {block.line}: exit {completed.returncode}\n"
            f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}")
        if block.expected is not None:
            assert completed.stdout == block.expected, f"docs/tutorial.md line {block.line}"
        transcript.append((block, completed))

    def run_of(text: str) -> subprocess.CompletedProcess[str]:
        return next(c for b, c in transcript if text in b.body)

    # The steps that show a failure really failed for the reason the text gives.
    empty = run_of("validate found the empty parameter")
    assert "validate found the empty parameter, as expected" in empty.stdout
    assert re.search(r"^instances/demo/greeter\.yaml:\d+:\d+: \[error\] \$\.params\.greeting:",
                     empty.stdout, flags=re.MULTILINE), empty.stdout
    drift = run_of("the drift check caught the change")
    assert "the drift check caught the change" in drift.stdout
    assert "rendered/ is out of date" in drift.stderr
    # The end state: committed, rendered, and the check passes (the last block ran it).
    repo = Path(state.read_text().strip())
    assert (repo / "rendered" / "demo" / "greeter" / "kustomization.yaml").is_file()
    assert (repo / "rendered" / "_argocd" / "applicationset.yaml").is_file()
    assert "rendered/ is up to date" in transcript[-1][1].stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                            text=True, env=env, check=True)
    assert status.stdout == ""
