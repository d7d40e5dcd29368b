"""``wfchain list``: every instance with its schedule and its next run times.

Next run times are what Argo Events' calendar EventSource will do: robfig/cron's
``Next`` in the instance's time zone (:func:`generator.cron.next_fires`, daylight
saving included), skipping fires whose date *in that time zone* is one of the
instance's ``exclusionDates`` (the calendar EventSource compares year, month and day
of the next fire time, which is in the calendar's location, with each exclusion
date).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from generator import cron
from generator.model import Instance

FORMATS = ("text", "json")
DEFAULT_RUNS = 3
_COLUMNS = ("NAMESPACE", "NAME", "ID", "TEMPLATE", "SCHEDULE", "TIMEZONE", "NEXT RUNS",
            "WEBHOOK URL")


def parse_now(text: str) -> dt.datetime:
    """An ISO 8601 date-time; one without an offset is read as UTC."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def next_runs(schedule: cron.Schedule, timezone: str, exclusion_dates: Sequence[str],
              after: dt.datetime, count: int) -> list[dt.datetime]:
    """The next ``count`` fire times strictly after ``after``, in ``timezone``.

    Fewer come back when robfig would give up (nothing within five years)."""
    tz = zoneinfo.ZoneInfo(timezone)
    excluded = {dt.date.fromisoformat(day) for day in exclusion_dates}
    runs: list[dt.datetime] = []
    previous = after
    while len(runs) < count:
        wanted = count - len(runs)
        batch = cron.next_fires(schedule, tz, previous, wanted)
        runs += [fire for fire in batch if fire.date() not in excluded]
        if len(batch) < wanted:
            break
        previous = batch[-1]
    return runs


@dataclass(frozen=True)
class Row:
    namespace: str
    name: str
    id: str
    template: str
    schedule: str
    timezone: str
    exclusion_dates: tuple[str, ...]
    next_runs: tuple[dt.datetime, ...]
    webhook_url: str
    file: str

    def as_dict(self) -> dict[str, object]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "id": self.id,
            "template": self.template,
            "schedule": self.schedule,
            "timezone": self.timezone,
            "exclusionDates": list(self.exclusion_dates),
            "nextRuns": [run.isoformat() for run in self.next_runs],
            "webhookUrl": self.webhook_url,
            "file": self.file,
        }


def rows(instances: Sequence[Instance], now: dt.datetime, count: int = DEFAULT_RUNS
         ) -> list[Row]:
    """One row per instance (names assigned), sorted by namespace and name."""
    table = []
    for instance in sorted(instances, key=lambda i: (i.namespace, i.name)):
        names = instance.names
        assert names is not None
        table.append(Row(
            namespace=instance.namespace,
            name=instance.name,
            id=names.id,
            template=instance.template_name,
            schedule=instance.schedule.expression,
            timezone=instance.timezone,
            exclusion_dates=tuple(sorted(instance.exclusion_dates)),
            next_runs=tuple(next_runs(instance.schedule, instance.timezone,
                                      instance.exclusion_dates, now, count)),
            webhook_url=names.webhook_url,
            file=instance.file,
        ))
    return table


def format_run(moment: dt.datetime) -> str:
    """``2026-03-29 03:00+02:00``: wall time in the instance's zone and its offset."""
    return moment.isoformat(sep=" ", timespec="minutes")


def to_text(table: Sequence[Row]) -> str:
    lines = [list(_COLUMNS)]
    for row in table:
        lines.append([row.namespace, row.name, row.id, row.template, row.schedule,
                      row.timezone, ", ".join(format_run(r) for r in row.next_runs) or "-",
                      row.webhook_url])
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                   .rstrip() + "\n" for line in lines)


def to_json(table: Sequence[Row], now: dt.datetime) -> str:
    document = {"now": now.isoformat(), "instances": [row.as_dict() for row in table]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def current_time() -> dt.datetime:
    """Now, in UTC, to the second (the default of ``wfchain list --now``)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
