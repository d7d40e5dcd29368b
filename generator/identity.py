"""Stage 3: instance IDs and every name derived from them.

The instance ID is computed offline from the instance's identity, its namespace and
name, and from nothing else, so it never changes when parameters, the schedule or
even the template change:

    id = <name, cut to 32 characters, trailing '-' removed> + "-" + <hash>
    hash = first 6 characters of lowercase base32(sha256("<namespace>/<name>"))

The result is a DNS-1035 label (the name starts with a letter; base32 uses a-z and
2-7) of at most 39 characters, so the longest derived name,
``<id>-webhook-eventsource-svc``, fits the 63-character Service name limit.
Six base32 characters carry 30 bits; a collision between two instances is still
possible in theory and is reported as an error (pin an ``id`` in one of them).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

ID_MAX = 39
HASH_LENGTH = 6
PREFIX_MAX = ID_MAX - HASH_LENGTH - 1


def instance_id(namespace: str, name: str) -> str:
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    suffix = base64.b32encode(digest).decode("ascii").lower()[:HASH_LENGTH]
    prefix = name[:PREFIX_MAX].rstrip("-")
    return f"{prefix}-{suffix}"


@dataclass(frozen=True)
class Names:
    """Every resource name of one instance, and the webhook URL workflow 1 calls."""

    id: str
    namespace: str
    cluster_domain: str
    webhook_port: int
    webhook_endpoint: str
    #: the Secret holding the webhook's bearer token ('' when the instance opted out)
    webhook_auth_secret: str = ""
    webhook_auth_key: str = "token"

    @property
    def workflow1(self) -> str:
        return f"{self.id}-workflow1"

    @property
    def workflow2(self) -> str:
        return f"{self.id}-workflow2"

    @property
    def cron_eventsource(self) -> str:
        return f"{self.id}-cron"

    @property
    def webhook_eventsource(self) -> str:
        return f"{self.id}-webhook"

    @property
    def trigger1(self) -> str:
        return f"{self.id}-trigger1"

    @property
    def trigger2(self) -> str:
        return f"{self.id}-trigger2"

    @property
    def sensor_account(self) -> str:
        return f"{self.id}-sensor"

    @property
    def workflow_account(self) -> str:
        return f"{self.id}-workflow"

    @property
    def default_auth_secret(self) -> str:
        return f"{self.id}-webhook-token"

    @property
    def network_policy(self) -> str:
        return f"{self.id}-webhook"

    @property
    def webhook_service(self) -> str:
        # The EventSource controller names the Service <eventsource>-eventsource-svc.
        return f"{self.webhook_eventsource}-eventsource-svc"

    @property
    def webhook_host(self) -> str:
        return f"{self.webhook_service}.{self.namespace}.svc.{self.cluster_domain}"

    @property
    def webhook_url(self) -> str:
        return f"http://{self.webhook_host}:{self.webhook_port}{self.webhook_endpoint}"

    def as_dict(self) -> dict[str, str]:
        names = {
            "id": self.id,
            "namespace": self.namespace,
            "workflowTemplate1": self.workflow1,
            "workflowTemplate2": self.workflow2,
            "cronEventSource": self.cron_eventsource,
            "webhookEventSource": self.webhook_eventsource,
            "trigger1": self.trigger1,
            "trigger2": self.trigger2,
            "sensorServiceAccount": self.sensor_account,
            "workflowServiceAccount": self.workflow_account,
            "webhookService": self.webhook_service,
            "webhookUrl": self.webhook_url,
            "networkPolicy": self.network_policy,
        }
        if self.webhook_auth_secret:  # empty when the instance opted out of authentication
            names["webhookAuthSecret"] = self.webhook_auth_secret
            names["webhookAuthSecretKey"] = self.webhook_auth_key
        return names
