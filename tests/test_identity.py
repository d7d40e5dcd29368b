"""Instance IDs: stable, recognizable, DNS-1035, at most 39 characters."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from generator.identity import ID_MAX, Names, instance_id

DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def test_known_values_never_change() -> None:
    # Pinned: changing the algorithm would rename every deployed resource.
    assert instance_id("analytics", "sales-eu") == "sales-eu-u7fblj"
    assert instance_id("team-a", "hello") == "hello-ou2xsn"
    long_name = "a-very-long-instance-name-that-keeps-going-on"
    assert instance_id("ns", long_name) == "a-very-long-instance-name-that-k-" + \
        instance_id("ns", long_name)[-6:]


def test_namespace_matters() -> None:
    assert instance_id("a", "x") != instance_id("b", "x")


@given(namespace=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True),
       name=st.from_regex(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True))
def test_shape(namespace: str, name: str) -> None:
    ident = instance_id(namespace, name)
    assert len(ident) <= ID_MAX
    assert DNS1035.match(ident)
    assert ident.startswith(name[:32].rstrip("-"))
    assert ident == instance_id(namespace, name)
    names = Names(ident, namespace, "cluster.local", 12000, "/handoff")
    for value in names.as_dict().values():
        if value.startswith("http") or value == namespace:
            continue
        assert len(value) <= 63 and DNS1035.match(value), value
    assert len(names.webhook_service) <= 63


def test_webhook_url_follows_argo_naming() -> None:
    names = Names("sales-eu-u7fblj", "analytics", "cluster.local", 12000, "/handoff")
    assert names.webhook_url == (
        "http://sales-eu-u7fblj-webhook-eventsource-svc.analytics.svc.cluster.local:12000"
        "/handoff")
