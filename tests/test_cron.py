"""Tests of generator.cron, the stdlib re-implementation of robfig/cron v3 as used by
Argo Events' calendar EventSource.

Expected fire times below were computed by hand (and agree with robfig/cron v3.0.1).
Across a fall-back overlap two results can have the same wall time, so results are
compared by ``isoformat()`` (which includes the offset) or by ``timestamp()``, never
with ``<`` (which ignores ``fold`` for datetimes sharing a tzinfo).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cron import CronError, Schedule, can_ever_fire, fires_within, next_fires, parse

UTC = zoneinfo.ZoneInfo("UTC")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ZONES = {
    "UTC": UTC,
    "Europe/Berlin": BERLIN,
    "America/New_York": NEW_YORK,
    "Asia/Shanghai": SHANGHAI,
}

ALL_MINUTES = frozenset(range(60))
ALL_HOURS = frozenset(range(24))
ALL_DOM = frozenset(range(1, 32))
ALL_MONTHS = frozenset(range(1, 13))
ALL_DOW = frozenset(range(7))

ONLY_5 = "only 5-field cron expressions (minute hour day-of-month month day-of-week) are accepted"

HYPOTHESIS = settings(
    deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def fires(expression: str, zone: str, after: str, count: int) -> list[str]:
    tz = zoneinfo.ZoneInfo(zone)
    result = next_fires(parse(expression), tz, dt.datetime.fromisoformat(after), count)
    assert all(moment.tzinfo is tz for moment in result)
    return [moment.isoformat() for moment in result]


def matches(schedule: Schedule, moment: dt.datetime) -> bool:
    """Whether a wall-clock reading matches the schedule (robfig's field and day rules)."""
    dom = moment.day in schedule.days_of_month
    dow = moment.isoweekday() % 7 in schedule.days_of_week
    day = (dom and dow) if (schedule.dom_star or schedule.dow_star) else (dom or dow)
    return (
        moment.second == 0
        and moment.microsecond == 0
        and moment.minute in schedule.minutes
        and moment.hour in schedule.hours
        and moment.month in schedule.months
        and day
    )


# --------------------------------------------------------------------------- parse: valid


@pytest.mark.parametrize(
    ("expression", "minutes", "hours", "dom", "months", "dow", "dom_star", "dow_star"),
    [
        ("* * * * *", ALL_MINUTES, ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        ("? ? ? ? ?", ALL_MINUTES, ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        ("0 0 1 1 0", {0}, {0}, {1}, {1}, {0}, False, False),
        ("59 23 31 12 6", {59}, {23}, {31}, {12}, {6}, False, False),
        ("*/15 0-6/2 1,15 JAN-MAR mon-fri", {0, 15, 30, 45}, {0, 2, 4, 6}, {1, 15}, {1, 2, 3},
         {1, 2, 3, 4, 5}, False, False),
        ("5/20 * * * *", {5, 25, 45}, ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        ("55/1 22/1 30/1 11/1 5/1", {55, 56, 57, 58, 59}, {22, 23}, {30, 31}, {11, 12}, {5, 6},
         False, False),
        ("0 0 1 1/3 *", {0}, {0}, {1}, {1, 4, 7, 10}, ALL_DOW, False, True),
        ("0 0 ? * SUN", {0}, {0}, ALL_DOM, ALL_MONTHS, {0}, True, False),
        ("0 0 */1 * 1", {0}, {0}, ALL_DOM, ALL_MONTHS, {1}, True, False),
        ("0 0 */2 * 1", {0}, {0}, set(range(1, 32, 2)), ALL_MONTHS, {1}, False, False),
        ("0 0 1-31 * 0-6", {0}, {0}, ALL_DOM, ALL_MONTHS, ALL_DOW, False, False),
        ("0 0 1 * *,1", {0}, {0}, {1}, ALL_MONTHS, ALL_DOW, False, True),
        ("0 0 ?/1 * ?/2", {0}, {0}, ALL_DOM, ALL_MONTHS, {0, 2, 4, 6}, True, False),
        ("0 0 * dec,Jan sat,SUN", {0}, {0}, ALL_DOM, {1, 12}, {0, 6}, True, False),
        ("0 0 * jAn-Dec/4 Tue-thu", {0}, {0}, ALL_DOM, {1, 5, 9}, {2, 3, 4}, True, False),
        ("0 0 * * sun/3", {0}, {0}, ALL_DOM, ALL_MONTHS, {0, 3, 6}, True, False),
        ("1,2,3,2,1 * * * *", {1, 2, 3}, ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        # robfig quirks reproduced on purpose (Argo accepts these):
        ("0 0 1,,15 * *", {0}, {0}, {1, 15}, ALL_MONTHS, ALL_DOW, False, True),
        (", 0 * * *", set(), {0}, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        ("+05 +1-+3 007 * *", {5}, {1, 2, 3}, {7}, ALL_MONTHS, ALL_DOW, False, True),
        ("0 0 * * *-3", {0}, {0}, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        ("*/+2 0 * * *", set(range(0, 60, 2)), {0}, ALL_DOM, ALL_MONTHS, ALL_DOW, True, True),
        ("0 0 * * fr\u0130", {0}, {0}, ALL_DOM, ALL_MONTHS, {5}, True, False),
        ("0 0 1 * 0/100", {0}, {0}, {1}, ALL_MONTHS, {0}, False, False),
        # whitespace, as Go's strings.Fields sees it
        ("  0\t0 \n 1  *\x0b*  ", {0}, {0}, {1}, ALL_MONTHS, ALL_DOW, False, True),
        ("0\u30000\xa01\x85*\u2003*", {0}, {0}, {1}, ALL_MONTHS, ALL_DOW, False, True),
    ],
)  # fmt: skip
def test_parse_valid(
    expression: str,
    minutes: set[int],
    hours: set[int],
    dom: set[int],
    months: set[int],
    dow: set[int],
    dom_star: bool,
    dow_star: bool,
) -> None:
    schedule = parse(expression)
    assert schedule == Schedule(
        expression=expression,
        minutes=frozenset(minutes),
        hours=frozenset(hours),
        days_of_month=frozenset(dom),
        months=frozenset(months),
        days_of_week=frozenset(dow),
        dom_star=dom_star,
        dow_star=dow_star,
    )
    assert all(isinstance(values, frozenset) for values in (schedule.minutes, schedule.hours))


def test_schedule_is_frozen() -> None:
    schedule = parse("0 0 * * *")
    with pytest.raises(AttributeError):
        schedule.dom_star = False  # type: ignore[misc]
    assert hash(schedule) == hash(parse("0 0 * * *"))


# --------------------------------------------------------------------------- parse: invalid


@pytest.mark.parametrize(
    ("expression", "field", "message"),
    [
        # the expression as a whole
        ("", None, f"{ONLY_5}; got an empty expression"),
        ("   ", None, f"{ONLY_5}; found 0 fields: '   '"),
        ("0 0 * *", None, f"{ONLY_5}; found 4 fields: '0 0 * *'"),
        ("0 0 0 * * *", None, f"{ONLY_5}; found 6 fields: '0 0 0 * * *'"),
        ("0 0 1 1 * 2030", None, f"{ONLY_5}; found 6 fields: '0 0 1 1 * 2030'"),
        ("0\x1c0 * * *", None, f"{ONLY_5}; found 4 fields: '0\\x1c0 * * *'"),
        ("0 0\n* * * *", None, f"{ONLY_5}; found 6 fields: '0 0\\n* * * *'"),
        ("@daily", None, f"{ONLY_5}; the descriptor '@daily' is not supported: '@daily'"),
        ("@every 5m", None, f"{ONLY_5}; the descriptor '@every' is not supported: '@every 5m'"),
        ("TZ=UTC 0 0 * * *", None,
         f"{ONLY_5}; the timezone prefix 'TZ=' is not supported (set the calendar's timezone "
         "instead): 'TZ=UTC 0 0 * * *'"),
        ("CRON_TZ=Europe/Berlin 0 0 * * *", None,
         f"{ONLY_5}; the timezone prefix 'CRON_TZ=' is not supported (set the calendar's "
         "timezone instead): 'CRON_TZ=Europe/Berlin 0 0 * * *'"),
        # bounds
        ("60 * * * *", "minute", "minute: end of range (60) above maximum (59): 60"),
        ("* 24 * * *", "hour", "hour: end of range (24) above maximum (23): 24"),
        ("* * 0 * *", "day-of-month",
         "day-of-month: beginning of range (0) below minimum (1): 0"),
        ("* * 32 * *", "day-of-month", "day-of-month: end of range (32) above maximum (31): 32"),
        ("* * * 0 *", "month", "month: beginning of range (0) below minimum (1): 0"),
        ("* * * 13 *", "month", "month: end of range (13) above maximum (12): 13"),
        ("0 0 * * 7", "day-of-week", "day-of-week: end of range (7) above maximum (6): 7"),
        ("0 0 * * 5-7", "day-of-week", "day-of-week: end of range (7) above maximum (6): 5-7"),
        ("0 0 * * SAT-SUN", "day-of-week",
         "day-of-week: beginning of range (6) beyond end of range (0): SAT-SUN"),
        ("30-10 * * * *", "minute",
         "minute: beginning of range (30) beyond end of range (10): 30-10"),
        ("60/5 * * * *", "minute",
         "minute: beginning of range (60) beyond end of range (59): 60/5"),
        ("0 0 * * 7/1", "day-of-week",
         "day-of-week: beginning of range (7) beyond end of range (6): 7/1"),
        ("99999999999999999999 * * * *", "minute",
         "minute: failed to parse int from '99999999999999999999': value out of range"),
        # steps
        ("*/0 * * * *", "minute", "minute: step of range should be a positive number: */0"),
        ("5/0 * * * *", "minute", "minute: step of range should be a positive number: 5/0"),
        ("*/-2 * * * *", "minute", "minute: negative number (-2) not allowed: -2"),
        ("*/x * * * *", "minute", "minute: failed to parse int from 'x': invalid syntax"),
        ("*/ * * * *", "minute", "minute: failed to parse int from '': invalid syntax"),
        ("* */2/3 * * *", "hour", "hour: too many slashes: */2/3"),
        # syntax
        ("1-2-3 * * * *", "minute", "minute: too many hyphens: 1-2-3"),
        ("-5 * * * *", "minute", "minute: failed to parse int from '': invalid syntax"),
        ("5- * * * *", "minute", "minute: failed to parse int from '': invalid syntax"),
        ("1.5 * * * *", "minute", "minute: failed to parse int from '1.5': invalid syntax"),
        ("L * * * *", "minute", "minute: failed to parse int from 'L': invalid syntax"),
        ("0 0 L * *", "day-of-month", "day-of-month: failed to parse int from 'L': invalid syntax"),
        ("0 0 15W * *", "day-of-month",
         "day-of-month: failed to parse int from '15W': invalid syntax"),
        ("0 0 * * 5#3", "day-of-week",
         "day-of-week: failed to parse int or name (SUN-SAT) from '5#3': invalid syntax"),
        ("0 0 * JANUARY *", "month",
         "month: failed to parse int or name (JAN-DEC) from 'JANUARY': invalid syntax"),
        ("0 0 * * Monday", "day-of-week",
         "day-of-week: failed to parse int or name (SUN-SAT) from 'Monday': invalid syntax"),
        ("0 0 * MON *", "month",
         "month: failed to parse int or name (JAN-DEC) from 'MON': invalid syntax"),
        ("0 JAN * * *", "hour", "hour: failed to parse int from 'JAN': invalid syntax"),
        ("0 0 * * MON/TUE", "day-of-week",
         "day-of-week: failed to parse int from 'TUE': invalid syntax"),
        ("\u0665 * * * *", "minute", "minute: failed to parse int from '\u0665': invalid syntax"),
        ("0 0 * * 1,8", "day-of-week", "day-of-week: end of range (8) above maximum (6): 8"),
        # the first bad field is reported
        ("60 24 * * *", "minute", "minute: end of range (60) above maximum (59): 60"),
        ("0 0 * 1,x 7", "month",
         "month: failed to parse int or name (JAN-DEC) from 'x': invalid syntax"),
    ],
)  # fmt: skip
def test_parse_invalid(expression: str, field: str | None, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse(expression)
    assert str(caught.value) == message
    assert caught.value.field == field
    assert caught.value.expression == expression
    assert isinstance(caught.value, ValueError)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(CronError, match="cron expression must be a string, not int"):
        parse(5)  # type: ignore[arg-type]


def test_error_message_is_one_line_for_control_characters() -> None:
    with pytest.raises(CronError) as caught:
        parse("0 0 * * 1\x1c2")
    assert str(caught.value) == (
        "day-of-week: failed to parse int or name (SUN-SAT) from '1\\x1c2': invalid syntax"
    )
    with pytest.raises(CronError) as caught:
        parse("0 0 * * 1-2-\x1e")
    assert str(caught.value) == "day-of-week: too many hyphens: '1-2-\\x1e'"
    assert len(str(caught.value).splitlines()) == 1


@HYPOTHESIS
@given(st.text(max_size=40))
def test_parse_arbitrary_text_only_raises_cron_error(text: str) -> None:
    try:
        schedule = parse(text)
    except CronError as err:
        assert len(str(err).splitlines()) == 1
        assert str(err).isprintable()
    else:
        assert schedule.expression == text


# --------------------------------------------------------------------------- star bit


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # day-of-week star: day-of-month alone decides (AND with "every weekday")
        ("0 0 1 * *", "2026-04-25T00:00:00+08:00",
         ["2026-05-01T00:00:00+08:00", "2026-06-01T00:00:00+08:00"]),
        # day-of-month star ('?', '*', '*/1'): only Mondays
        ("0 0 ? * 1", "2026-04-25T00:00:00+08:00",
         ["2026-04-27T00:00:00+08:00", "2026-05-04T00:00:00+08:00", "2026-05-11T00:00:00+08:00"]),
        ("0 0 * * MON", "2026-04-25T00:00:00+08:00",
         ["2026-04-27T00:00:00+08:00", "2026-05-04T00:00:00+08:00", "2026-05-11T00:00:00+08:00"]),
        ("0 0 */1 * 1", "2026-04-25T00:00:00+08:00",
         ["2026-04-27T00:00:00+08:00", "2026-05-04T00:00:00+08:00", "2026-05-11T00:00:00+08:00"]),
        # neither is a star: the 1st OR a Monday (2026-05-01 is a Friday)
        ("0 0 1 * 1", "2026-04-25T00:00:00+08:00",
         ["2026-04-27T00:00:00+08:00", "2026-05-01T00:00:00+08:00", "2026-05-04T00:00:00+08:00"]),
        # '1-31' and '*/2' are not stars: OR, so every day resp. odd days or Mondays
        ("0 0 1-31 * 1", "2026-04-25T00:00:00+08:00",
         ["2026-04-26T00:00:00+08:00", "2026-04-27T00:00:00+08:00", "2026-04-28T00:00:00+08:00"]),
        ("0 0 */2 * 1", "2026-04-25T00:00:00+08:00",
         ["2026-04-27T00:00:00+08:00", "2026-04-29T00:00:00+08:00", "2026-05-01T00:00:00+08:00",
          "2026-05-03T00:00:00+08:00", "2026-05-04T00:00:00+08:00"]),
        # "Friday the 13th" in cron means the 13th OR any Friday
        ("0 0 13 * 5", "2026-02-01T00:00:00+08:00",
         ["2026-02-06T00:00:00+08:00", "2026-02-13T00:00:00+08:00", "2026-02-20T00:00:00+08:00",
          "2026-02-27T00:00:00+08:00", "2026-03-06T00:00:00+08:00", "2026-03-13T00:00:00+08:00"]),
        # a star item anywhere in the list sets the star bit
        ("0 0 13 * 5,*", "2026-02-01T00:00:00+08:00",
         ["2026-02-13T00:00:00+08:00", "2026-03-13T00:00:00+08:00"]),
    ],
)  # fmt: skip
def test_star_bit_day_matching(expression: str, after: str, expected: list[str]) -> None:
    assert fires(expression, "Asia/Shanghai", after, len(expected)) == expected


# --------------------------------------------------------------------------- can_ever_fire


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * *", True),
        ("0 0 31 2 *", False),
        ("0 0 30 2 *", False),
        ("0 0 30,31 2 *", False),
        ("0 0 29 2 *", True),
        ("0 0 28-31 2 *", True),
        ("0 0 31 2 1", True),  # OR: any Monday in February
        ("0 0 31 2 ?", False),  # AND with every weekday: still Feb 31
        ("0 0 31 4,6,9,11 *", False),
        ("0 0 31 4,6,9,12 *", True),
        ("0 0 31 * *", True),
        ("0 0 30 2,4 *", True),
        ("0 0 31 2 */1", False),  # '*/1' is a star
        ("0 0 31 2 0-6", True),  # '0-6' is not: OR
        ("0 0 * 2 *", True),
        (", * * * *", False),
        ("* , * * *", False),
        ("* * , * 1", True),  # no day-of-month, but OR with Mondays
        ("* * , * *", False),  # AND: no day-of-month at all
        ("* * , * *,", False),  # neither a day-of-month nor a weekday
        ("* * * , *", False),
        ("* * * * ,", False),  # AND with an empty weekday set
        ("* * 1 * ,", True),  # OR: the 1st
    ],
)
def test_can_ever_fire(expression: str, expected: bool) -> None:
    assert can_ever_fire(parse(expression)) is expected


# --------------------------------------------------------------------------- next_fires


@pytest.mark.parametrize(
    ("expression", "zone", "after", "expected"),
    [
        # --- no DST: Asia/Shanghai and UTC
        ("0 9 * * 1-5", "Asia/Shanghai", "2026-01-02T08:00:00+08:00",
         ["2026-01-02T09:00:00+08:00", "2026-01-05T09:00:00+08:00", "2026-01-06T09:00:00+08:00"]),
        ("*/15 * * * *", "UTC", "2026-05-05T12:07:30+00:00",
         ["2026-05-05T12:15:00+00:00", "2026-05-05T12:30:00+00:00", "2026-05-05T12:45:00+00:00",
          "2026-05-05T13:00:00+00:00"]),
        # strictly after `after`, whole seconds
        ("*/15 * * * *", "UTC", "2026-05-05T12:15:00+00:00", ["2026-05-05T12:30:00+00:00"]),
        ("*/15 * * * *", "UTC", "2026-05-05T12:14:59.999999+00:00",
         ["2026-05-05T12:15:00+00:00"]),
        ("* * * * *", "UTC", "2026-05-05T12:15:00.000001+00:00", ["2026-05-05T12:16:00+00:00"]),
        ("59 23 31 12 *", "Asia/Shanghai", "2026-12-31T23:59:00+08:00",
         ["2027-12-31T23:59:00+08:00"]),
        ("0 0 1 1 *", "Asia/Shanghai", "2026-12-31T23:59:59+08:00",
         ["2027-01-01T00:00:00+08:00", "2028-01-01T00:00:00+08:00"]),
        ("0 0 29 2 *", "Asia/Shanghai", "2026-03-01T00:00:00+08:00",
         ["2028-02-29T00:00:00+08:00", "2032-02-29T00:00:00+08:00"]),
        ("0 0 31 * *", "Asia/Shanghai", "2026-01-31T00:00:00+08:00",
         ["2026-03-31T00:00:00+08:00", "2026-05-31T00:00:00+08:00", "2026-07-31T00:00:00+08:00",
          "2026-08-31T00:00:00+08:00"]),
        ("30 12 * * *", "Asia/Shanghai", "2026-03-08T00:00:00+00:00",  # `after` in another zone
         ["2026-03-08T12:30:00+08:00", "2026-03-09T12:30:00+08:00"]),
        # --- Europe/Berlin spring forward 2027-03-28: 02:00 CET -> 03:00 CEST
        # a fixed time inside the gap does not fire that day at all
        ("30 2 * * *", "Europe/Berlin", "2027-03-27T01:00:00+01:00",
         ["2027-03-27T02:30:00+01:00", "2027-03-29T02:30:00+02:00", "2027-03-30T02:30:00+02:00"]),
        ("0 2 * * *", "Europe/Berlin", "2027-03-27T12:00:00+01:00", ["2027-03-29T02:00:00+02:00"]),
        ("30 2 * 3 0", "Europe/Berlin", "2027-03-20T00:00:00+01:00",  # March Sundays
         ["2027-03-21T02:30:00+01:00", "2028-03-05T02:30:00+01:00"]),
        ("0 * * * *", "Europe/Berlin", "2027-03-28T00:30:00+01:00",
         ["2027-03-28T01:00:00+01:00", "2027-03-28T03:00:00+02:00", "2027-03-28T04:00:00+02:00"]),
        ("*/30 * * * *", "Europe/Berlin", "2027-03-28T01:10:00+01:00",
         ["2027-03-28T01:30:00+01:00", "2027-03-28T03:00:00+02:00", "2027-03-28T03:30:00+02:00"]),
        ("0 3 * * *", "Europe/Berlin", "2027-03-27T12:00:00+01:00",
         ["2027-03-28T03:00:00+02:00", "2027-03-29T03:00:00+02:00"]),
        ("0 0 * * *", "Europe/Berlin", "2027-03-27T12:00:00+01:00",
         ["2027-03-28T00:00:00+01:00", "2027-03-29T00:00:00+02:00"]),
        # --- Europe/Berlin fall back 2026-10-25: 03:00 CEST -> 02:00 CET
        # a fixed time inside the repeated hour fires at both instants (as robfig does)
        ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
         ["2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"]),
        ("0 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
         ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-26T02:00:00+01:00"]),
        # from inside the overlap only the second instant is left
        ("30 2 * * *", "Europe/Berlin", "2026-10-25T00:45:00+00:00",
         ["2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"]),
        ("30 2 * * *", "Europe/Berlin", "2026-10-25T01:30:00+00:00",
         ["2026-10-26T02:30:00+01:00"]),
        ("0 * * * *", "Europe/Berlin", "2026-10-25T01:00:00+02:00",
         ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]),
        ("*/30 * * * *", "Europe/Berlin", "2026-10-25T01:40:00+02:00",
         ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
          "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"]),
        # times outside the repeated hour fire once
        ("59 1 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
         ["2026-10-25T01:59:00+02:00", "2026-10-26T01:59:00+01:00"]),
        ("0 3 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
         ["2026-10-25T03:00:00+01:00", "2026-10-26T03:00:00+01:00"]),
        ("0 12 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
         ["2026-10-25T12:00:00+01:00", "2026-10-26T12:00:00+01:00"]),
        # --- America/New_York spring forward 2027-03-14: 02:00 EST -> 03:00 EDT
        ("30 2 * * *", "America/New_York", "2027-03-13T12:00:00-05:00",
         ["2027-03-15T02:30:00-04:00", "2027-03-16T02:30:00-04:00"]),
        ("0 0 * * *", "America/New_York", "2027-03-13T12:00:00-05:00",
         ["2027-03-14T00:00:00-05:00", "2027-03-15T00:00:00-04:00"]),
        ("0 * * * *", "America/New_York", "2027-03-14T00:30:00-05:00",
         ["2027-03-14T01:00:00-05:00", "2027-03-14T03:00:00-04:00"]),
        # --- America/New_York fall back 2026-11-01: 02:00 EDT -> 01:00 EST
        ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00",
         ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"]),
        ("0 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00",
         ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-02T01:00:00-05:00"]),
        ("0 3 * * *", "America/New_York", "2026-10-31T12:00:00-04:00",
         ["2026-11-01T03:00:00-05:00", "2026-11-02T03:00:00-05:00"]),
        # --- transitions at midnight (robfig's own fix-ups for these are reproduced)
        # America/Sao_Paulo 2018-11-04 00:00 -03 -> 01:00 -02: that midnight is skipped
        ("0 0 * * *", "America/Sao_Paulo", "2018-11-03T12:00:00-03:00",
         ["2018-11-05T00:00:00-02:00", "2018-11-06T00:00:00-02:00"]),
        ("0 * * * *", "America/Sao_Paulo", "2018-11-03T22:30:00-03:00",
         ["2018-11-03T23:00:00-03:00", "2018-11-04T01:00:00-02:00"]),
        ("0 0 4 11 *", "America/Sao_Paulo", "2018-11-01T12:00:00-03:00",
         ["2019-11-04T00:00:00-03:00"]),
        # Asia/Beirut 2022-03-27 00:00 +02 -> 01:00 +03
        ("0 0 27 3 *", "Asia/Beirut", "2022-03-20T12:00:00+02:00", ["2023-03-27T00:00:00+03:00"]),
        # Asia/Amman 2018-10-26 01:00 +03 -> 00:00 +02: midnight happens twice
        ("0 0 * * *", "Asia/Amman", "2018-10-25T12:00:00+03:00",
         ["2018-10-26T00:00:00+03:00", "2018-10-26T00:00:00+02:00", "2018-10-27T00:00:00+02:00"]),
        ("0 0 13 * FRI", "Asia/Amman", "2018-10-24T12:07:49+03:00",
         ["2018-10-26T00:00:00+02:00", "2018-11-02T00:00:00+02:00"]),
        # --- robfig gives up after five years: fewer (or no) results
        ("0 0 31 2 *", "UTC", "2026-01-01T00:00:00+00:00", []),
        ("0 0 30 2 *", "Europe/Berlin", "2026-01-01T00:00:00+01:00", []),
        (", * * * *", "UTC", "2026-01-01T00:00:00+00:00", []),
        ("0 0 29 2 *", "UTC", "2097-03-01T00:00:00+00:00", []),  # 2100 is not a leap year
        ("0 0 29 2 *", "UTC", "2092-03-01T00:00:00+00:00", ["2096-02-29T00:00:00+00:00"]),
        ("59 23 31 12 *", "UTC", "9998-06-01T00:00:00+00:00", ["9998-12-31T23:59:00+00:00"]),
    ],
)  # fmt: skip
def test_next_fires(expression: str, zone: str, after: str, expected: list[str]) -> None:
    assert fires(expression, zone, after, len(expected)) == expected
    # Asking for one more never changes the first ones (and, where robfig gives up,
    # adds nothing).
    more = fires(expression, zone, after, len(expected) + 1)
    assert more[: len(expected)] == expected


def test_next_fires_fold_marks_the_second_instant() -> None:
    after = dt.datetime(2026, 10, 25, tzinfo=UTC)
    first, second = next_fires(parse("30 2 * * *"), BERLIN, after, 2)
    assert (first.fold, second.fold) == (0, 1)
    assert second.timestamp() - first.timestamp() == 3600


@pytest.mark.parametrize("count", [0, 1, 5])
def test_next_fires_count(count: int) -> None:
    after = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert len(next_fires(parse("* * * * *"), UTC, after, count)) == count


def test_next_fires_rejects_bad_arguments() -> None:
    schedule = parse("* * * * *")
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fires(schedule, UTC, dt.datetime(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="must not be negative"):
        next_fires(schedule, UTC, dt.datetime(2026, 1, 1, tzinfo=UTC), -1)


def test_next_fires_terminates_where_robfig_spins() -> None:
    """Pacific/Apia skipped 2011-12-30; robfig's day loop never leaves 2011-12-29."""
    apia = zoneinfo.ZoneInfo("Pacific/Apia")
    after = dt.datetime(2011, 12, 27, 17, 49, tzinfo=apia)
    assert next_fires(parse("59 23 31 12 *"), apia, after, 3) == []


# --------------------------------------------------------------------------- fires_within


@pytest.mark.parametrize(
    ("expression", "zone", "start", "days", "expected"),
    [
        ("0 9 * * 1-5", "Asia/Shanghai", "2026-01-02T09:00:00+08:00", 1, False),  # Fri -> Sat
        ("0 9 * * 1-5", "Asia/Shanghai", "2026-01-02T09:00:00+08:00", 3, True),  # Mon 09:00
        ("0 9 * * 1-5", "Asia/Shanghai", "2026-01-02T09:00:01+08:00", 3, True),
        ("0 9 * * 1-5", "Asia/Shanghai", "2026-01-02T09:00:01+08:00", 2, False),
        ("0 9 * * 1-5", "Asia/Shanghai", "2026-01-02T08:59:59+08:00", 0, False),
        ("0 0 1 1 *", "UTC", "2026-01-01T00:00:00+00:00", 364, False),
        ("0 0 1 1 *", "UTC", "2026-01-01T00:00:00+00:00", 365, True),
        ("0 0 31 2 *", "UTC", "2026-01-01T00:00:00+00:00", 100_000, False),
        ("0 0 31 2 1", "UTC", "2026-01-01T00:00:00+00:00", 60, True),
        ("0 0 29 2 *", "UTC", "2026-03-01T00:00:00+00:00", 729, False),
        ("0 0 29 2 *", "UTC", "2026-03-01T00:00:00+00:00", 730, True),
        # beyond robfig's five-year horizon the search carries on: 2104-02-29
        ("0 0 29 2 *", "UTC", "2097-03-01T00:00:00+00:00", 2554, False),
        ("0 0 29 2 *", "UTC", "2097-03-01T00:00:00+00:00", 2555, True),
        # days are 24 h of absolute time: the spring-forward day is 23 h long
        ("0 3 * * *", "Europe/Berlin", "2027-03-27T03:00:00+01:00", 1, True),
        ("30 2 * * *", "Europe/Berlin", "2027-03-27T02:30:00+01:00", 1, False),
        ("30 2 * * *", "Europe/Berlin", "2027-03-27T02:30:00+01:00", 2, True),
        ("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00+00:00", 1, True),  # 02:30 CET
    ],
)
def test_fires_within(expression: str, zone: str, start: str, days: int, expected: bool) -> None:
    tz = ZONES[zone]
    assert fires_within(parse(expression), tz, dt.datetime.fromisoformat(start), days) is expected


def test_fires_within_rejects_bad_arguments() -> None:
    schedule = parse("* * * * *")
    with pytest.raises(ValueError, match="timezone-aware"):
        fires_within(schedule, UTC, dt.datetime(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="must not be negative"):
        fires_within(schedule, UTC, dt.datetime(2026, 1, 1, tzinfo=UTC), -1)


# --------------------------------------------------------------------------- properties


def _item(low: int, high: int, names: list[str]) -> st.SearchStrategy[str]:
    number = st.integers(low, high)
    token = number.map(str) | st.sampled_from(names) if names else number.map(str)
    return st.one_of(
        st.sampled_from(["*", "?"]),
        token,
        st.tuples(number, number).map(lambda ab: f"{min(ab)}-{max(ab)}"),
        st.tuples(number, number, st.integers(1, high - low + 2)).map(
            lambda abn: f"{min(abn[:2])}-{max(abn[:2])}/{abn[2]}"
        ),
        st.tuples(token, st.integers(1, 12)).map(lambda an: f"{an[0]}/{an[1]}"),
        st.integers(1, 12).map(lambda n: f"*/{n}"),
    )


def _field(low: int, high: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    return st.lists(_item(low, high, names or []), min_size=1, max_size=3).map(",".join)


MONTH_NAMES = ["jan", "FEB", "Mar", "apr", "MAY", "jun", "jul", "Aug", "sep", "OCT", "nov", "Dec"]
DOW_NAMES = ["sun", "MON", "Tue", "wed", "THU", "fri", "Sat"]

EXPRESSIONS = st.tuples(
    _field(0, 59), _field(0, 23), _field(1, 31), _field(1, 12, MONTH_NAMES), _field(0, 6, DOW_NAMES)
).map(" ".join)

# UTC instants of DST changes in the zones under test.
TRANSITIONS = [
    dt.datetime(2026, 3, 29, 1, tzinfo=UTC),  # Europe/Berlin
    dt.datetime(2026, 10, 25, 1, tzinfo=UTC),
    dt.datetime(2027, 3, 28, 1, tzinfo=UTC),
    dt.datetime(2026, 3, 8, 7, tzinfo=UTC),  # America/New_York
    dt.datetime(2026, 11, 1, 6, tzinfo=UTC),
    dt.datetime(2027, 3, 14, 7, tzinfo=UTC),
]

AFTER = st.one_of(
    st.integers(1_500_000_000, 2_100_000_000).map(lambda ts: dt.datetime.fromtimestamp(ts, UTC)),
    st.tuples(st.sampled_from(TRANSITIONS), st.integers(-2 * 86400, 2 * 86400)).map(
        lambda tr: tr[0] + dt.timedelta(seconds=tr[1])
    ),
)


@HYPOTHESIS
@given(EXPRESSIONS, st.sampled_from(sorted(ZONES)), AFTER, st.integers(1, 6))
def test_fires_increase_and_match(
    expression: str, zone: str, after: dt.datetime, count: int
) -> None:
    schedule = parse(expression)
    tz = ZONES[zone]
    result = next_fires(schedule, tz, after, count)
    assert len(result) <= count
    if can_ever_fire(schedule):
        assert len(result) == count  # everything generated here fires within 5 years
    stamps = [after.timestamp(), *(moment.timestamp() for moment in result)]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    for moment in result:
        assert moment.tzinfo is tz
        assert matches(schedule, moment)
    horizon = after.timestamp() + 2000 * 86400
    assert fires_within(schedule, tz, after, 2000) is bool(result and stamps[1] <= horizon)


@HYPOTHESIS
@given(EXPRESSIONS, st.sampled_from(sorted(ZONES)), AFTER)
def test_first_fire_is_the_first_matching_minute(
    expression: str, zone: str, after: dt.datetime
) -> None:
    """Because robfig walks hours and minutes as absolute time, its next fire is the
    first whole minute after `after` whose wall-clock reading in the zone matches --
    so a time in a spring-forward gap never fires and one in a fall-back overlap fires
    at both instants.  Checked by brute force over two days of minutes."""
    schedule = parse(expression)
    tz = ZONES[zone]
    result = next_fires(schedule, tz, after, 1)
    window_end = after + dt.timedelta(days=2)
    moment = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    expected = None
    while moment <= window_end:
        if matches(schedule, moment.astimezone(tz)):
            expected = moment
            break
        moment += dt.timedelta(minutes=1)
    if expected is not None:
        assert [m.timestamp() for m in result] == [expected.timestamp()]
    else:
        assert not result or result[0].timestamp() > window_end.timestamp()


@HYPOTHESIS
@given(
    st.frozensets(st.integers(0, 59), min_size=1),
    st.frozensets(st.integers(0, 23), min_size=1),
    st.frozensets(st.integers(1, 31), min_size=1),
    st.frozensets(st.integers(1, 12), min_size=1),
    st.frozensets(st.integers(0, 6), min_size=1),
)
def test_lists_round_trip(
    minutes: frozenset[int],
    hours: frozenset[int],
    dom: frozenset[int],
    months: frozenset[int],
    dow: frozenset[int],
) -> None:
    sets = (minutes, hours, dom, months, dow)
    fields = [",".join(str(v) for v in sorted(values)) for values in sets]
    schedule = parse(" ".join(fields))
    assert (schedule.minutes, schedule.hours, schedule.days_of_month) == (minutes, hours, dom)
    assert (schedule.months, schedule.days_of_week) == (months, dow)
    assert not schedule.dom_star and not schedule.dow_star
