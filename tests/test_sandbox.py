"""Server-side template injection: placeholders ``${{ ... }}`` in a chain template are
plain Jinja expressions in an immutable sandbox with no globals, statically checked names
and bounded work (SECURITY.md, "In git and CI"). Every payload is refused with one
diagnostic naming the template file, line, column and check; exit 1, no traceback and
``rendered/`` untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from generator import placeholders
from generator.cli import cli

BASE = Path(__file__).resolve().parent / "fixtures" / "base"
TEMPLATE = "templates/hello-chain/template.yaml"
#: The scalar that receives the payload (workflow 1's env value), after the extra
#: parameter ``table`` below is added.
TARGET = '            value: "${{ params.greeting }}"'
WHERE = f"{TEMPLATE}:39:20: [error] $.workflow1.templates[0].container.env[0].value: "
RENDERING = " (rendering instances/team-a/hello.yaml)"
EXTRA_PARAMETER = """parameters:
  table:
    type: string
    default: sales.orders
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """tests/fixtures/base with a ``table`` parameter, rendered once."""
    project = tmp_path / "project"
    shutil.copytree(BASE, project)
    template = project / TEMPLATE
    text = template.read_text(encoding="utf-8")
    assert TARGET in text
    template.write_text(text.replace("parameters:\n", EXTRA_PARAMETER, 1), encoding="utf-8")
    result = _render(project)
    assert result.exit_code == 0, result.output
    _RENDERED[project] = _snapshot(project / "rendered")
    return project


#: rendered/ of each project as the first render wrote it.
_RENDERED: dict[Path, dict[str, bytes]] = {}


def _render(project: Path) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), "render"], catch_exceptions=True)


def _set_value(project: Path, scalar: str) -> None:
    template = project / TEMPLATE
    text = template.read_text(encoding="utf-8")
    assert TARGET in text
    template.write_text(text.replace(TARGET, f"            value: {scalar}"), encoding="utf-8")


def _inject(project: Path, expression: str) -> Result:
    # A JSON string is a YAML double-quoted scalar: any payload stays one scalar value.
    _set_value(project, json.dumps("${{ " + expression + " }}"))
    return _render(project)


def _refused(project: Path, result: Result) -> list[str]:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "unexpected error" not in result.output
    assert "nothing written" in result.stderr
    assert _snapshot(project / "rendered") == _RENDERED[project]
    return result.stdout.splitlines()


def _undefined(source: str, name: str) -> str:
    return (f"undefined placeholder '${{{{ {source} }}}}': '{name}' is undefined "
            "(known: instance, names, params, webhook) (placeholder)")


def _no_attr(source: str, base: str, attr: str) -> str:
    known = {"params": "greeting, loud, repeat, table",
             "instance": "id, name, namespace, schedule, template, timezone"}[base]
    return (f"undefined placeholder '${{{{ {source} }}}}': '{base}' has no '{attr}' "
            f"(known: {known}) (placeholder)")


def _unsafe(source: str, attr: str, kind: str) -> str:
    return (f"placeholder '${{{{ {source} }}}}' is not allowed: access to attribute "
            f"'{attr}' of '{kind}' object is unsafe.{RENDERING} (placeholder)")


def _too_big(source: str, what: str, size: int) -> str:
    return (f"placeholder '${{{{ {source} }}}}' is not allowed: {what} would build a value "
            f"of {size} characters or items or more; the limit is 1048576{RENDERING} "
            "(placeholder)")


def _not_allowed(source: str, reason: str) -> str:
    return f"placeholder '${{{{ {source} }}}}' is not allowed: {reason}{RENDERING} (placeholder)"


_NO_BLOCKS = (" (a placeholder holds one expression: Jinja's '{{ }}', '{% %}' and '{# #}' "
              "do not exist inside '${{ }}') (placeholder)")
_NOT_DATA = "cannot print a builtin_function_or_method, only strings, numbers, booleans, " \
    "lists and mappings"

PAYLOADS: list[tuple[str, str]] = [
    # attribute walks to __globals__ through Jinja's default globals (there are none)
    ("cycler.__init__.__globals__.os", _undefined("cycler.__init__.__globals__.os", "cycler")),
    ("joiner.__init__.__globals__", _undefined("joiner.__init__.__globals__", "joiner")),
    ("lipsum.__globals__", _undefined("lipsum.__globals__", "lipsum")),
    ("namespace.__init__.__globals__",
     _undefined("namespace.__init__.__globals__", "namespace")),
    ("self.__init__.__globals__", _undefined("self.__init__.__globals__", "self")),
    # class hierarchy walks from literals
    ("''.__class__.__mro__[1].__subclasses__()",
     _unsafe("''.__class__.__mro__[1].__subclasses__()", "__class__", "str")),
    ("().__class__.__bases__[0].__subclasses__()",
     _unsafe("().__class__.__bases__[0].__subclasses__()", "__class__", "tuple")),
    # the context objects
    ("params.__class__", _no_attr("params.__class__", "params", "__class__")),
    ("instance.__dict__", _no_attr("instance.__dict__", "instance", "__dict__")),
    ("params['__class__']", _no_attr("params['__class__']", "params", "__class__")),
    ("params.table.__class__.__mro__",
     _unsafe("params.table.__class__.__mro__", "__class__", "str")),
    ("params|attr('__class__')", _unsafe("params|attr('__class__')", "__class__", "dict")),
    ("'{0.__class__}'.format(params)",
     _unsafe("'{0.__class__}'.format(params)", "__class__", "dict")),
    ("params.table.format_map",
     f"'${{{{ params.table.format_map }}}}' gives a function; only strings, numbers and "
     f"booleans can be substituted{RENDERING} (placeholder)"),
    # Flask/Ansible-style globals and Python builtins
    ("config.__class__", _undefined("config.__class__", "config")),
    ("config.items()", _undefined("config.items()", "config")),
    ("request", _undefined("request", "request")),
    ("url_for", _undefined("url_for", "url_for")),
    ("get_flashed_messages", _undefined("get_flashed_messages", "get_flashed_messages")),
    ("lookup", _undefined("lookup", "lookup")),
    ("__import__('os')", _undefined("__import__('os')", "__import__")),
    ("getattr", _undefined("getattr", "getattr")),
    ("range(10**9)", _undefined("range(10**9)", "range")),
    # Jinja statements, expressions and comments do not exist inside a placeholder
    ("{{ 7*7 }}", "invalid placeholder '${{ {{ 7*7 }}': unexpected end of template, "
     "expected ':'." + _NO_BLOCKS),
    ("{% for x in params %}{% endfor %}",
     "invalid placeholder '${{ {% for x in params %}{% endfor %} }}': unexpected '%'"
     + _NO_BLOCKS),
    ("{# comment #}", "invalid placeholder '${{ {# comment #} }}': unexpected char '#' at 2"
     + _NO_BLOCKS),
    # filters that could be abused
    ("[params]|map(attribute='__class__')|join",
     _unsafe("[params]|map(attribute='__class__')|join", "__class__", "dict")),
    ("[params]|selectattr('__class__')|list",
     _unsafe("[params]|selectattr('__class__')|list", "__class__", "dict")),
    ("'%s'|format(params.table.upper)",
     _not_allowed("'%s'|format(params.table.upper)", f"filter 'format' {_NOT_DATA}")),
    ("{'a': params.table.upper}|xmlattr",
     _not_allowed("{'a': params.table.upper}|xmlattr", f"filter 'xmlattr' {_NOT_DATA}")),
    ("params.table.upper|pprint",
     _not_allowed("params.table.upper|pprint", f"filter 'pprint' {_NOT_DATA}")),
    ("params.table.upper ~ ''", _not_allowed("params.table.upper ~ ''", f"'~' {_NOT_DATA}")),
    ("'' ~ ([1]|map('string'))",
     _not_allowed("'' ~ ([1]|map('string'))", "'~' cannot print a generator, only strings, "
                  "numbers, booleans, lists and mappings")),
    ("params.table.upper|tojson",
     f"placeholder '${{{{ params.table.upper|tojson }}}}' failed: Object of type "
     f"builtin_function_or_method is not JSON serializable{RENDERING} (placeholder)"),
    ("params|random", "invalid placeholder '${{ params|random }}': No filter named 'random'. "
     "(placeholder)"),
    # memory and CPU bombs
    ("'a' * 10**9", _too_big("'a' * 10**9", "'*'", 10**9)),
    ("[1] * 10**9", _too_big("[1] * 10**9", "'*'", 2 * 10**9)),
    ("params.table * 10**9", _too_big("params.table * 10**9", "'*'", 12 * 10**9)),
    ("2**100000000", _not_allowed("2**100000000", "'**' would build a number of about "
                                  "200000000 bits; the limit is 65536")),
    ("'a'|center(10**9)", _too_big("'a'|center(10**9)", "filter 'center'", 10**9)),
    ("'a'.ljust(10**9)", _too_big("'a'.ljust(10**9)", "'ljust()'", 10**9)),
    ("'%999999999s' % 'a'", _too_big("'%999999999s' % 'a'", "'%'", 1000000011)),
    ("'%*s' % (999999999, 'a')",
     _not_allowed("'%*s' % (999999999, 'a')", "'%': '*' widths are not supported")),
    ("'{:>999999999}'.format('a')",
     _too_big("'{:>999999999}'.format('a')", "'format()'", 1000000014)),
    ("('{0}' * 300000).format('x' * 1000)",
     _too_big("('{0}' * 300000).format('x' * 1000)", "'format()'", 301200000)),
    ("'a'|replace('a', 'b' * 1000000)|replace('b', 'c' * 1000000)",
     _too_big("'a'|replace('a', 'b' * 1000000)|replace('b', 'c' * 1000000)",
              "filter 'replace'", 1000001000000)),
    ("('b' * 1000000).join(['a'] * 1000)",
     _too_big("('b' * 1000000).join(['a'] * 1000)", "'join()'", 1000002000)),
    ("(['']*1000)|map('default', 'x' * 1000000, true)|join",
     _too_big("(['']*1000)|map('default', 'x' * 1000000, true)|join", "filter 'join'",
              2001000)),
    ("('\\t' * 100000).expandtabs(100000)",
     _too_big("('\\t' * 100000).expandtabs(100000)", "'expandtabs()'", 10000100000)),
    ("'a'.translate({97: 'b' * 1000000})",
     _not_allowed("'a'.translate({97: 'b' * 1000000})",
                  "'translate()' is not supported in placeholders")),
    ("(1).to_bytes(10**9, 'big')",
     _too_big("(1).to_bytes(10**9, 'big')", "'to_bytes()'", 10**9)),
    ("'ab'|batch(10**9, 'x')|list|length",
     _too_big("'ab'|batch(10**9, 'x')|list|length", "filter 'batch'", 10**9)),
    ("[1]|tojson(indent=10**9)", _too_big("[1]|tojson(indent=10**9)", "filter 'tojson'",
                                          2000000002)),
    ("('a' * 1000000) ~ ('a' * 100000)",
     _too_big("('a' * 1000000) ~ ('a' * 100000)", "'~'", 1100000)),
    ("('a' * 1000000) + ('a' * 1000000)",
     _too_big("('a' * 1000000) + ('a' * 1000000)", "'+'", 2000000)),
    ("['a' * 1000000, 'a' * 1000000, 'a' * 1000000, 'a' * 1000000, 'a' * 1000000, "
     "'a' * 1000000, 'a' * 1000000, 'a' * 1000000, 'a' * 1000000]|length",
     _not_allowed("['a' * 1000000, 'a' * 1000000, 'a' * 1000000, 'a' * 1000000, "
                  "'a' * 1000000, 'a' * 1000000, 'a' * 1000000, 'a' * 1000000, "
                  "'a' * 1000000]|length",
                  "'*': the placeholder would build more than 8388608 characters or items "
                  "in all")),
    # methods no check knows grow values too: every call's result counts
    ("('a' * 1000000).encode().hex().encode().hex()[:12]",
     _too_big("('a' * 1000000).encode().hex().encode().hex()[:12]", "'hex()'", 2000000)),
    ("('a' * 600000).encode('utf-32')[:4]",
     _too_big("('a' * 600000).encode('utf-32')[:4]", "'encode()'", 2400004)),
    # a function as a filter's argument would print its address
    ("params.table|replace('s', params.table.upper)",
     _not_allowed("params.table|replace('s', params.table.upper)",
                  f"filter 'replace' {_NOT_DATA}")),
    ("[1, 2]|join(params.table.upper)",
     _not_allowed("[1, 2]|join(params.table.upper)", f"filter 'join' {_NOT_DATA}")),
    # odd arguments and deep expressions are errors, not crashes
    ("params.table|wordwrap(5, true, 3)",
     f"placeholder '${{{{ params.table|wordwrap(5, true, 3) }}}}' failed: 'int' object has "
     f"no attribute 'join'{RENDERING} (placeholder)"),
    ("(" * 300 + "params.table" + ")" * 300,
     "placeholder '${{" + " " + "(" * 300 + "params.table" + ")" * 300 + " }}' is too deeply "
     "nested to compile (placeholder)"),
]


@pytest.mark.parametrize(("payload", "message"), PAYLOADS, ids=[p for p, _ in PAYLOADS])
def test_payload_is_refused(chain: Path, payload: str, message: str) -> None:
    assert _refused(chain, _inject(chain, payload)) == [WHERE + message]


@pytest.mark.parametrize("statement", [
    "{% include '/etc/passwd' %}",
    "{% import 'x.j2' as x %}",
    "{% from 'x.j2' import y %}",
    "{% extends '/etc/passwd' %}",
])
def test_no_file_can_be_read(chain: Path, statement: str) -> None:
    [line] = _refused(chain, _inject(chain, statement))
    assert line.startswith(WHERE + f"invalid placeholder '${{{{ {statement} }}}}': ")
    assert line.endswith(_NO_BLOCKS)
    assert placeholders._ENV.loader is None


@pytest.mark.parametrize("name", ["environ", "env", "os", "ENV", "getenv", "HOME"])
def test_no_environment_variables(chain: Path, monkeypatch: pytest.MonkeyPatch,
                                  name: str) -> None:
    monkeypatch.setenv("WFCHAIN_SANDBOX_SECRET", "s3cr3t")
    source = f"{name}.WFCHAIN_SANDBOX_SECRET"
    assert _refused(chain, _inject(chain, source)) == [WHERE + _undefined(source, name)]


def test_context_holds_nothing_but_the_documented_values(
        chain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFCHAIN_SANDBOX_SECRET", "s3cr3t")
    assert placeholders._ENV.globals == {}
    everything = "[params, instance, webhook, names]|tojson"
    assert _render_value(chain, json.dumps("${{ " + everything + " }}")).count("s3cr3t") == 0


def _render_value(project: Path, scalar: str) -> object:
    _set_value(project, scalar)
    result = _render(project)
    assert result.exit_code == 0, result.output
    document = yaml.safe_load((project / "rendered/team-a/hello/workflowtemplate-workflow1.yaml")
                              .read_text(encoding="utf-8"))
    value: object = document["spec"]["templates"][1]["container"]["env"][0]["value"]
    return value


@pytest.mark.parametrize(("scalar", "expected"), [
    ('"${{ params.table | upper }}"', "SALES.ORDERS"),
    ('"${{ params.repeat * 6 + 1 }}"', "7"),
    ('"${{ (params.repeat + 2) ** 3 // 2 }}"', "13"),
    ('"${{ params.greeting ~ \'-\' ~ params.table }}"', "hello-sales.orders"),
    ('"${{ instance.id }}"', "hello-ou2xsn"),
    ('"${{ webhook.url }}"',
     "http://hello-ou2xsn-webhook-eventsource-svc.team-a.svc.cluster.local:12000/handoff"),
    ('"id=${{ instance.id }}, loud=${{ params.loud }}"', "id=hello-ou2xsn, loud=false"),
    ('"${{ \'%s/%s\' % (instance.namespace, instance.name) }}"', "team-a/hello"),
    ('"${{ \'{}:{}\'.format(params.table, params.repeat) }}"', "sales.orders:1"),
    ('"${{ params.table.split(\'.\') | join(\'_\') }}"', "sales_orders"),
    ('"${{ \'x\' * 3 }}"', "xxx"),
    ('"${{ (\'ab\' * 500000) | length }}"', "1000000"),
    ('"${{ params | tojson }}"',
     '{"greeting": "hello", "loud": false, "repeat": 1, "table": "sales.orders"}'),
    ('"${{ \'${{\' }}"', "${{"),
])
def test_legitimate_expressions_still_work(chain: Path, scalar: str, expected: str) -> None:
    assert _render_value(chain, scalar) == expected


def test_native_type_for_a_plain_scalar_that_is_one_placeholder(chain: Path) -> None:
    template = chain / TEMPLATE
    text = template.read_text(encoding="utf-8")
    text = text.replace("workflow1:\n", "workflow1:\n  spec:\n"
                        "    activeDeadlineSeconds: ${{ params.repeat * 60 }}\n"
                        "    podGC:\n      deleteDelayDuration: '${{ params.repeat * 60 }}s'\n",
                        1)
    template.write_text(text, encoding="utf-8")
    result = _render(chain)
    assert result.exit_code == 0, result.output
    document = yaml.safe_load((chain / "rendered/team-a/hello/workflowtemplate-workflow1.yaml")
                              .read_text(encoding="utf-8"))
    assert document["spec"]["activeDeadlineSeconds"] == 60
    assert isinstance(document["spec"]["activeDeadlineSeconds"], int)
    assert document["spec"]["podGC"]["deleteDelayDuration"] == "60s"
