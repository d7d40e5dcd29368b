"""wfchain's YAML emitter: what it writes reads back as exactly the data, for YAML 1.2
(ruamel) readers, and is unambiguous for YAML 1.1 readers too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from generator.emit import dump, is_plain_safe, quote

_scalars = (st.none() | st.booleans() | st.integers() |
            st.floats(allow_nan=False) |
            st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
_keys = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12)
_data = st.recursive(_scalars, lambda children: st.lists(children, max_size=4) |
                     st.dictionaries(_keys, children, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _data, min_size=1, max_size=5))
def test_round_trip(data: dict[str, Any]) -> None:
    assert YAML(typ="safe").load(dump(data, ["header"])) == data


@pytest.mark.parametrize("value", [
    "on", "off", "yes", "No", "Y", "n", "true", "False", "null", "~", "", "1", "0x1F", "0o7",
    "1e3", "1_000", ".inf", "-.inf", ".NaN", "2026-01-01", "12:30", "1:20:30", "<<", "-",
    "- x", "? x", ": x", "a: b", "a #b", "#x", "@x", "`x", "!x", "&x", "*x", "|", ">", "%x",
    "'x'", '"x"', "x:", " x", "x ", "{{x}}", "[x]", "0 2 * * *",
])
def test_ambiguous_strings_are_quoted(value: str) -> None:
    assert not is_plain_safe(value)
    assert YAML(typ="safe").load(f"k: {quote(value)}\n") == {"k": value}


@pytest.mark.parametrize("value", [
    "analytics", "sales-eu-u7fblj-workflow1", "argoproj.io/v1alpha1", "/handoff",
    "http://svc.ns.svc.cluster.local:12000/handoff", "a b c", "app.kubernetes.io/name",
])
def test_plain_where_safe(value: str) -> None:
    assert is_plain_safe(value)
    assert dump({"k": value}) == f"k: {value}\n"


def test_multiline_strings_use_literal_blocks() -> None:
    assert dump({"s": "a\n  b\n"}) == "s: |\n  a\n    b\n"
    assert dump({"s": "a\nb"}) == "s: |-\n  a\n  b\n"
    # trailing spaces, leading indentation and kept trailing newlines fall back to quotes
    assert dump({"s": "a \nb\n"}) == 's: "a \\nb\\n"\n'
    assert dump({"s": " a\nb\n"}) == 's: " a\\nb\\n"\n'
    assert dump({"s": "a\n\n"}) == 's: "a\\n\\n"\n'


def test_control_and_line_separator_characters_are_escaped() -> None:
    text = dump({"s": "a\x85b\u2028c\u2029d\x01e\ufeff\tf"})
    assert text == 's: "a\\x85b\\u2028c\\u2029d\\x01e\\ufeff\\tf"\n'


def test_yamllint_accepts_the_output(tmp_path: Path) -> None:
    data = {"a": [{"b": "line1\nline2\n", "c": ["x", {"d": None}], "e": {}}],
            "f": "on", "g": 1.5, "h": [[1, 2], []]}
    path = tmp_path / "x.yaml"
    path.write_text(dump(data, ["generated"]), encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-m", "yamllint", "-s", "-c",
                             str(root / ".yamllint"), str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


_words = st.text(alphabet="abcdefghij-:/\"\\é{}$#", min_size=1, max_size=30)


@settings(max_examples=200)
@given(st.lists(_words, min_size=1, max_size=40), st.integers(min_value=0, max_value=40))
def test_long_values_fold_and_read_back_exactly(words: list[str], depth: int) -> None:
    value = " ".join(words)
    data: Any = {"k": value, "seq": [value, {"inner": value}]}
    for _ in range(depth // 8):
        data = {"nested": [data]}
    text = dump(data)
    assert YAML(typ="safe", pure=True).load(text) == data
    assert yaml.safe_load(text) == data  # YAML 1.1 (PyYAML) reads it the same
    for line in text.splitlines():
        # only a word longer than the line itself may overflow
        if len(line) > 120:
            assert " " not in line.strip().removeprefix("- ").split(": ", 1)[-1], line


def test_a_long_value_is_folded_within_the_width() -> None:
    value = "http://svc.ops.svc.example:8080/chain/next " + "word " * 30 + "end"
    text = dump({"spec": {"args": [value]}})
    assert max(len(line) for line in text.splitlines()) <= 120
    assert text.count("\n") > 3
    assert YAML(typ="safe", pure=True).load(text) == {"spec": {"args": [value]}}
