"""`wfchain list`: the instance table, and next run times checked against hand-computed
times across daylight-saving changes.

How the expected times were computed by hand: Argo Events' calendar EventSource runs
robfig/cron's ``Next`` on wall-clock time in the instance's zone. It steps hours as
absolute hours, so a wall time skipped by spring-forward does not fire that day, and a
wall time repeated by fall-back fires twice (once per offset); a fire whose date (in
the zone) is an exclusion date is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner, Result

from generator import cron
from generator.cli import cli
from generator.listing import next_runs, parse_now
from generator.scaffold import template_text


def _project(tmp_path: Path, instances: dict[str, str]) -> Path:
    (tmp_path / "templates" / "hello").mkdir(parents=True)
    (tmp_path / "templates" / "hello" / "template.yaml").write_text(
        template_text("hello", "templates"), encoding="utf-8")
    for key, body in instances.items():
        path = tmp_path / "instances" / f"{key}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"template: hello\nparams:\n  greeting: hi\n{body}", encoding="utf-8")
    return tmp_path


def _list(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), "list", *args], catch_exceptions=False)


def _runs(project: Path, now: str) -> dict[str, list[str]]:
    result = _list(project, "--format", "json", "--now", now)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    return {f"{i['namespace']}/{i['name']}": i["nextRuns"] for i in document["instances"]}


def test_spring_forward_skips_the_missing_wall_time(tmp_path: Path) -> None:
    # Europe/Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    project = _project(tmp_path, {"team/berlin": 'schedule: "30 2 * * *"\n'
                                                 "timezone: Europe/Berlin\n"})
    assert _runs(project, "2027-03-26T12:00:00+01:00")["team/berlin"] == [
        "2027-03-27T02:30:00+01:00",
        "2027-03-29T02:30:00+02:00",  # nothing on the 28th
        "2027-03-30T02:30:00+02:00",
    ]


def test_fall_back_fires_twice_in_the_repeated_hour(tmp_path: Path) -> None:
    # Europe/Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    project = _project(tmp_path, {"team/berlin": 'schedule: "30 2 * * *"\n'
                                                 "timezone: Europe/Berlin\n"})
    assert _runs(project, "2026-10-24T12:00:00Z")["team/berlin"] == [
        "2026-10-25T02:30:00+02:00",  # 00:30 UTC
        "2026-10-25T02:30:00+01:00",  # 01:30 UTC
        "2026-10-26T02:30:00+01:00",
    ]


def test_weekday_schedule_keeps_wall_time_across_the_change(tmp_path: Path) -> None:
    # America/New_York leaves daylight saving on Sunday 2026-11-01; 04:00 on weekdays
    # stays 04:00 local, the offset moves from -04:00 to -05:00.
    project = _project(tmp_path, {"ml/ny": 'schedule: "0 4 * * 1-5"\n'
                                           "timezone: America/New_York\n"})
    assert _runs(project, "2026-10-29T12:00:00-04:00")["ml/ny"] == [
        "2026-10-30T04:00:00-04:00",  # Friday
        "2026-11-02T04:00:00-05:00",  # Monday, after the change
        "2026-11-03T04:00:00-05:00",
    ]


def test_exclusion_dates_are_dates_in_the_instance_time_zone(tmp_path: Path) -> None:
    # 04:30 in Tokyo on 2026-12-25 is 2026-12-24 19:30 UTC: still excluded, because
    # the calendar EventSource compares the date of the fire time in its zone.
    project = _project(tmp_path, {"jp/tokyo": 'schedule: "30 4 * * *"\ntimezone: Asia/Tokyo\n'
                                              'exclusionDates: ["2026-12-25"]\n'})
    assert _runs(project, "2026-12-23T12:00:00Z")["jp/tokyo"] == [
        "2026-12-24T04:30:00+09:00",
        "2026-12-26T04:30:00+09:00",
        "2026-12-27T04:30:00+09:00",
    ]


def test_now_without_offset_is_utc(tmp_path: Path) -> None:
    project = _project(tmp_path, {"a/utc": 'schedule: "0 * * * *"\n'})
    assert _runs(project, "2026-06-01T10:30:00")["a/utc"][0] == "2026-06-01T11:00:00+00:00"
    assert parse_now("2026-06-01T10:30:00") == dt.datetime(2026, 6, 1, 10, 30, tzinfo=dt.UTC)


def test_runs_option(tmp_path: Path) -> None:
    project = _project(tmp_path, {"a/utc": 'schedule: "0 0 * * *"\n'})
    result = _list(project, "--format", "json", "--now", "2026-06-01T00:00:00Z", "--runs", "5")
    runs = json.loads(result.stdout)["instances"][0]["nextRuns"]
    assert runs == [f"2026-06-0{d}T00:00:00+00:00" for d in range(2, 7)]


def test_leap_day_schedule() -> None:
    # 29 February fires in leap years only.
    runs = next_runs(cron.parse("0 0 29 2 *"), "UTC", (),
                     dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 3)
    assert [r.date().isoformat() for r in runs] == ["2028-02-29", "2032-02-29", "2036-02-29"]


def test_text_table(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "team-b/zeta": 'schedule: "0 6 * * *"\ntimezone: Asia/Kolkata\n',
        "team-a/alpha": 'schedule: "*/30 * * * *"\n',
    })
    result = _list(project, "--now", "2026-06-01T00:10:00Z")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "ID", "TEMPLATE", "SCHEDULE", "TIMEZONE",
                                "NEXT", "RUNS", "WEBHOOK", "URL"]
    assert lines[1].startswith("team-a     alpha  alpha-")  # sorted by namespace, name
    assert ("2026-06-01 00:30+00:00, 2026-06-01 01:00+00:00, 2026-06-01 01:30+00:00"
            in lines[1])
    assert ("2026-06-01 06:00+05:30, 2026-06-02 06:00+05:30, 2026-06-03 06:00+05:30"
            in lines[2])
    assert lines[2].endswith(".team-b.svc.cluster.local:12000/handoff")
    # Columns line up: every row has its NEXT RUNS where the header has it.
    column = lines[0].index("NEXT RUNS")
    assert all(line[column:column + 4] == "2026" for line in lines[1:])


def test_json_document(tmp_path: Path) -> None:
    project = _project(tmp_path, {"team-a/alpha": 'schedule: "0 1 * * *"\n'})
    result = _list(project, "--format", "json", "--now", "2026-06-01T00:00:00+02:00")
    document = json.loads(result.stdout)
    assert document["now"] == "2026-06-01T00:00:00+02:00"
    (row,) = document["instances"]
    assert row["namespace"] == "team-a"
    assert row["name"] == "alpha"
    assert row["template"] == "hello"
    assert row["schedule"] == "0 1 * * *"
    assert row["timezone"] == "UTC"
    assert row["exclusionDates"] == []
    assert row["file"] == "instances/team-a/alpha.yaml"
    assert row["webhookUrl"] == (f"http://{row['id']}-webhook-eventsource-svc.team-a.svc."
                                 "cluster.local:12000/handoff")


def test_bad_now_is_a_usage_error(tmp_path: Path) -> None:
    result = _list(_project(tmp_path, {}), "--now", "next tuesday")
    assert result.exit_code == 2
    assert "is not an ISO 8601 date-time" in result.stderr


def test_broken_instances_are_reported_and_the_rest_listed(tmp_path: Path) -> None:
    project = _project(tmp_path, {"team-a/good": 'schedule: "0 1 * * *"\n',
                                  "team-a/bad": 'schedule: "0 25 * * *"\n'})
    result = _list(project, "--now", "2026-06-01T00:00:00Z")
    assert result.exit_code == 1
    assert "instances/team-a/bad.yaml:" in result.stderr
    assert "good" in result.stdout
    assert "bad" not in result.stdout


def test_output_is_deterministic(root: Path) -> None:
    first = _list(root, "--now", "2026-03-01T00:00:00Z")
    assert first.exit_code == 0, first.stderr
    assert _list(root, "--now", "2026-03-01T00:00:00Z").stdout == first.stdout


def test_without_now_uses_the_current_time(tmp_path: Path) -> None:
    project = _project(tmp_path, {"a/utc": 'schedule: "0 0 * * *"\n'})
    before = dt.datetime.now(dt.UTC)
    result = _list(project, "--format", "json")
    after = dt.datetime.now(dt.UTC)
    now = dt.datetime.fromisoformat(json.loads(result.stdout)["now"])
    assert before.replace(microsecond=0) <= now <= after
    first = dt.datetime.fromisoformat(json.loads(result.stdout)["instances"][0]["nextRuns"][0])
    assert now < first <= now + dt.timedelta(days=1)
