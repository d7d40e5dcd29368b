"""The validated inputs the renderer works from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator

from generator.cron import Schedule
from generator.identity import Names
from generator.load import Document


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    default: Any
    description: str
    #: JSON Schema keywords checked on instance values (enum, pattern, min/max...)
    constraints: dict[str, Any] = field(default_factory=dict)


@dataclass
class Template:
    """A chain template, checked and compiled once however many instances use it."""

    name: str
    document: Document
    description: str
    parameters: dict[str, Parameter]
    #: JSON Schema validator for an instance's ``params`` (built once per template).
    params_validator: Validator
    #: workflow1 / handoff / workflow2 sections with placeholders compiled.
    compiled: dict[str, Any]
    #: "depends" or "dependencies": how workflow 1's DAG expresses order.
    workflow1_style: str
    handoff_names: tuple[str, ...]
    #: False when the template has problems: instances are still checked against its
    #: parameters, but nothing is rendered from it.
    valid: bool = True

    @property
    def file(self) -> str:
        return self.document.file


@dataclass
class Instance:
    document: Document
    namespace: str
    name: str
    template_name: str
    schedule: Schedule
    timezone: str
    exclusion_dates: tuple[str, ...]
    params: dict[str, Any]
    pinned_id: str | None
    description: str
    names: Names | None = field(default=None)
    #: ``webhookAuth`` as written (enabled / secretName / secretKey), validated
    webhook_auth: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.document.file

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"
