"""Cron expressions exactly as Argo Events' calendar EventSource understands them.

The calendar EventSource parses ``spec.calendar.<name>.schedule`` with
``github.com/robfig/cron/v3`` (v3.0.1) using the standard five-field parser
(``Minute | Hour | Dom | Month | Dow``) and computes every fire time with
``SpecSchedule.Next``, passing the previous time converted into the calendar's
``timezone``.  This module re-implements both halves with the standard library
only, so that the generator can validate and preview schedules at build time.

Accepted syntax (as robfig; ``?`` is accepted in every field and means ``*``):

=============  ========  =====================================================
field          values    names
=============  ========  =====================================================
minute         0-59
hour           0-23
day-of-month   1-31
month          1-12      JAN-DEC (case-insensitive)
day-of-week    0-6       SUN-SAT (case-insensitive); ``7`` is an error
=============  ========  =====================================================

Each field is a comma-separated list of items; an item is ``*``/``?``, ``a``,
``a-b``, ``*/n``, ``a-b/n`` or ``a/n`` (which means ``a-<max>/n``).  Fields are
separated by Go whitespace (``unicode.IsSpace``).  Quirks of robfig that are
reproduced on purpose, because Argo accepts such schedules:

* empty list items are dropped (``1,,2`` is ``1,2``; a field that is only
  commas, e.g. ``,``, matches nothing, so the schedule never fires);
* numbers may carry a ``+`` sign and leading zeros (``+05``);
* an item starting with ``*`` or ``?`` ignores anything after a ``-`` up to the
  ``/`` (``*-5`` is ``*``);
* ``a/1`` means ``a-<max>``.

Deliberately rejected although robfig's parser would take them (the project
only accepts plain five-field cron): ``TZ=``/``CRON_TZ=`` prefixes and
``@`` descriptors.  A seconds field is rejected, as by Argo's parser.

The "star bit": an item written ``*`` or ``?`` with no step or step 1 marks the
field as a star (``*/2`` and ``1-31`` are *not* stars).  If the day-of-month
*or* the day-of-week field is a star, a day must match both fields (AND);
otherwise it may match either (OR): ``0 0 1 * MON`` fires on the 1st and on
every Monday, ``0 0 * * MON`` only on Mondays.

Next-fire computation -- :func:`next_fires` simulates ``SpecSchedule.Next`` step
for step on wall-clock time in the given zone, including Go's ``time.Date``
normalisation, and therefore shares its daylight-saving behaviour:

* Spring forward (a wall time that does not exist): robfig advances hours with
  absolute ``+1h`` steps, so a wall hour that is skipped is never visited and a
  fixed time inside the gap does **not** fire on that day at all; there is no
  "fire at 03:00 instead".  ``30 2 * * *`` in Europe/Berlin fires 2027-03-27
  02:30 CET and next 2027-03-29 02:30 CEST, nothing on 2027-03-28.
* Fall back (a wall time that exists twice): minutes and hours are also
  absolute steps, so robfig walks *through* the repeated hour and a fixed wall
  time inside it fires **twice, once for each instant**: ``30 2 * * *`` in
  Europe/Berlin fires 2026-10-25 02:30 CEST (00:30 UTC) and again 02:30 CET
  (01:30 UTC); ``30 1 * * *`` in America/New_York fires 2026-11-01 01:30 EDT and
  01:30 EST.  This was checked against robfig/cron v3.0.1 itself; we reproduce
  it rather than "fixing" it, because it is what Argo does.  Interval-like
  schedules (``*/20 * * * *``) simply keep firing on absolute time through the
  overlap.
* Go's ``time.Date`` on a non-existent or ambiguous wall time (used by robfig
  only for midnight, the first of a month and whole hours) takes the offset in
  force at ``wall - offset(wall read as UTC)``; this is reproduced in
  :func:`_go_date`.  It only matters for zones whose transitions happen at
  midnight (e.g. America/Sao_Paulo until 2019), where robfig has known oddities
  that are reproduced as well.
* Like robfig, the search gives up once the candidate's year exceeds
  ``year(after + 1s) + 5``; :func:`next_fires` then returns fewer items.

Results are whole-second instants strictly after ``after``; fire times are
always at second 0 of the minute.
"""

from __future__ import annotations

import datetime as _dt
import re
import zoneinfo
from dataclasses import dataclass

__all__ = [
    "CronError",
    "Schedule",
    "can_ever_fire",
    "fires_within",
    "next_fires",
    "parse",
]


class CronError(ValueError):
    """A cron expression that Argo Events' calendar EventSource would not accept.

    ``str(err)`` is a one-line message; ``err.expression`` is the rejected text
    and ``err.field`` the name of the offending field (``None`` when the
    expression as a whole is wrong, e.g. it has the wrong number of fields).
    """

    def __init__(self, message: str, *, expression: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.expression = expression
        self.field = field


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed five-field cron expression (the sets robfig's bitmasks hold)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_star: bool
    dow_star: bool


# --------------------------------------------------------------------------- parsing

_ONLY_5 = "only 5-field cron expressions (minute hour day-of-month month day-of-week) are accepted"

# Characters Go's strings.Fields splits on (unicode.IsSpace); unlike str.split()
# this excludes the ASCII separators \x1c-\x1f.
_GO_FIELDS = re.compile("[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")

_MONTH_NAMES = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_DOW_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1
_LEADING_DIGITS = re.compile("[0-9]+")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None
    hint: str
    full: frozenset[int]


_FIELDS = (
    _Field("minute", 0, 59, None, "", frozenset(range(0, 60))),
    _Field("hour", 0, 23, None, "", frozenset(range(0, 24))),
    _Field("day-of-month", 1, 31, None, "", frozenset(range(1, 32))),
    _Field("month", 1, 12, _MONTH_NAMES, "JAN-DEC", frozenset(range(1, 13))),
    _Field("day-of-week", 0, 6, _DOW_NAMES, "SUN-SAT", frozenset(range(0, 7))),
)


def _show(text: str) -> str:
    """Text for the end of a message: as is when printable, else its repr."""
    return text if text.isprintable() else repr(text)


class _ItemError(Exception):
    """Internal: an item of a field is wrong (the field name is added later)."""


def _atoi(token: str, what: str) -> int:
    """Go's ``strconv.Atoi`` followed by robfig's negative check."""
    digits = token[1:] if token[:1] in ("+", "-") else token
    if not (digits.isascii() and digits.isdigit()):
        # Go reads left to right: a digit run overflowing uint64 before the bad
        # character is reported as out of range.
        run = _LEADING_DIGITS.match(digits)
        reason = "value out of range" if run and int(run[0]) > _UINT64_MAX else "invalid syntax"
        raise _ItemError(f"failed to parse {what} from {token!r}: {reason}")
    value = int(token)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise _ItemError(f"failed to parse {what} from {token!r}: value out of range")
    if value < 0:
        raise _ItemError(f"negative number ({value}) not allowed: {_show(token)}")
    return value


def _int_or_name(token: str, field: _Field) -> int:
    if field.names is None:
        return _atoi(token, "int")
    # Go's strings.ToLower uses simple case mapping: U+0130 lowers to a plain "i".
    named = field.names.get(token.replace("\u0130", "i").lower())
    if named is not None:
        return named
    return _atoi(token, f"int or name ({field.hint})")


def _parse_item(item: str, field: _Field) -> tuple[range, bool]:
    """One comma-separated item, checked in robfig's order; returns (values, star)."""
    range_and_step = item.split("/")
    low_and_high = range_and_step[0].split("-")
    star = False
    if low_and_high[0] in ("*", "?"):
        # robfig ignores whatever follows a '-' here: "*-5" is "*".
        start, end, star = field.low, field.high, True
    else:
        start = _int_or_name(low_and_high[0], field)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], field)
        else:
            raise _ItemError(f"too many hyphens: {_show(item)}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1], "int")
        if len(low_and_high) == 1:  # "a/n" means "a-max/n"
            end = field.high
        if step > 1:
            star = False
    else:
        raise _ItemError(f"too many slashes: {_show(item)}")
    if start < field.low:
        raise _ItemError(f"beginning of range ({start}) below minimum ({field.low}): {_show(item)}")
    if end > field.high:
        raise _ItemError(f"end of range ({end}) above maximum ({field.high}): {_show(item)}")
    if start > end:
        raise _ItemError(f"beginning of range ({start}) beyond end of range ({end}): {_show(item)}")
    if step == 0:
        raise _ItemError(f"step of range should be a positive number: {_show(item)}")
    return range(start, end + 1, step), star


def _parse_field(text: str, field: _Field) -> tuple[frozenset[int], bool]:
    if text == "*" or text == "?":
        return field.full, True
    if len(text) < 19 and text.isdigit() and text.isascii():  # fast path: one number
        value = int(text)
        if value < field.low:
            raise _ItemError(f"beginning of range ({value}) below minimum ({field.low}): {text}")
        if value > field.high:
            raise _ItemError(f"end of range ({value}) above maximum ({field.high}): {text}")
        return frozenset((value,)), False
    values: set[int] = set()
    star = False
    for item in text.split(","):
        if item:  # robfig splits with strings.FieldsFunc: empty items vanish
            item_values, item_star = _parse_item(item, field)
            values.update(item_values)
            star = star or item_star
    return frozenset(values), star


def parse(expression: str) -> Schedule:
    """Parse a five-field cron expression like robfig/cron v3's standard parser.

    Raises :class:`CronError` (a ``ValueError``) with a one-line message naming
    the offending field, e.g. ``day-of-week: end of range (7) above maximum
    (6): 7``.
    """
    if not isinstance(expression, str):
        raise CronError(
            f"cron expression must be a string, not {type(expression).__name__}",
            expression=repr(expression),
        )
    if not expression:
        raise CronError(f"{_ONLY_5}; got an empty expression", expression=expression)
    if expression.startswith(("TZ=", "CRON_TZ=")):
        prefix = expression[: expression.index("=") + 1]
        raise CronError(
            f"{_ONLY_5}; the timezone prefix {prefix!r} is not supported "
            f"(set the calendar's timezone instead): {expression!r}",
            expression=expression,
        )
    if expression.startswith("@"):
        descriptor = expression.split(maxsplit=1)[0]
        raise CronError(
            f"{_ONLY_5}; the descriptor {descriptor!r} is not supported: {expression!r}",
            expression=expression,
        )
    texts = _GO_FIELDS.findall(expression)
    if len(texts) != 5:
        raise CronError(
            f"{_ONLY_5}; found {len(texts)} fields: {expression!r}", expression=expression
        )
    sets: list[frozenset[int]] = []
    stars: list[bool] = []
    for text, field in zip(texts, _FIELDS, strict=True):
        try:
            values, star = _parse_field(text, field)
        except _ItemError as err:
            raise CronError(
                f"{field.name}: {err}", expression=expression, field=field.name
            ) from None
        sets.append(values)
        stars.append(star)
    return Schedule(
        expression=expression,
        minutes=sets[0],
        hours=sets[1],
        days_of_month=sets[2],
        months=sets[3],
        days_of_week=sets[4],
        dom_star=stars[2],
        dow_star=stars[4],
    )


# --------------------------------------------------------------------------- analysis

# Longest month length over all years (February counts its 29th).
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def can_ever_fire(schedule: Schedule) -> bool:
    """Whether the schedule matches at least one instant in some year.

    Date-independent: a (month, day) pair counts if the day exists in that
    month in some year (February 29 counts).  Every (month, day) falls on every
    weekday in some year, so with AND semantics (a star day field) the only
    question is whether a valid day-of-month exists (and some weekday is
    allowed); with OR semantics any allowed weekday is enough.  Fields that
    match nothing (robfig's ``,`` quirk) make it ``False``.
    """
    s = schedule
    if not (s.minutes and s.hours and s.months):
        return False
    valid_day = bool(s.days_of_month) and min(s.days_of_month) <= max(
        _MONTH_DAYS[m] for m in s.months
    )
    if s.dom_star or s.dow_star:
        return valid_day and bool(s.days_of_week)
    return valid_day or bool(s.days_of_week)


# --------------------------------------------------------------------------- next fire

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_SECOND = _dt.timedelta(seconds=1)
_MICROSECOND = _dt.timedelta(microseconds=1)


def _wall(tz: _dt.tzinfo, ts: int) -> _dt.datetime:
    """The wall-clock reading in ``tz`` at Unix second ``ts``."""
    return _dt.datetime.fromtimestamp(ts, tz)


def _offset(moment: _dt.datetime) -> int:
    offset = moment.utcoffset()
    assert offset is not None
    return offset.days * 86400 + offset.seconds


def _go_date(
    tz: _dt.tzinfo, year: int, month: int, day: int, hour: int, minute: int, second: int
) -> int:
    """Go's ``time.Date(...)``: out-of-range months and days roll over, and a wall
    time that does not exist or exists twice is resolved like Go does -- read
    the wall time as if it were UTC, take that instant's offset ``o1``, then use
    the offset in force at ``wall - o1``.  East of UTC this picks the later
    instant of an ambiguous time, west of UTC the earlier one; a time in a gap
    is moved by the gap's size (forward east of UTC, backward west of it).
    """
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    days = _dt.date(year, month, 1).toordinal() - _EPOCH_ORDINAL + day - 1
    wall = days * 86400 + hour * 3600 + minute * 60 + second
    guess = _offset(_wall(tz, wall))
    return wall - _offset(_wall(tz, wall - guess))


def _next_ts(s: Schedule, minutes: list[int], tz: _dt.tzinfo, prev: int) -> int | None:
    """robfig ``SpecSchedule.Next`` for a whole-second Unix time ``prev``.

    Month, day and hour advance exactly like robfig (calendar steps through Go's
    ``time.Date``, hours as absolute +1h).  Minute and second scans, which
    robfig does one step at a time, are jumped in one go when the UTC offset is
    the same at both ends of the (at most one hour long) jump, and are stepped
    one by one otherwise, which gives the same result.
    """
    ts = prev + 1
    w = _wall(tz, ts)
    added = False
    year_limit = w.year + 5
    months, hours = s.months, s.hours
    doms, dows = s.days_of_month, s.days_of_week
    both = s.dom_star or s.dow_star
    while True:  # robfig's WRAP label
        if w.year > year_limit:
            return None

        wrapped = False
        while w.month not in months:
            if not added:
                added = True
                ts = _go_date(tz, w.year, w.month, 1, 0, 0, 0)
                w = _wall(tz, ts)
            ts = _go_date(tz, w.year, w.month + 1, w.day, w.hour, w.minute, w.second)
            w = _wall(tz, ts)
            if w.month == 1:
                wrapped = True
                break
        if wrapped:
            continue

        while True:
            dom_ok = w.day in doms
            dow_ok = (w.isoweekday() % 7) in dows
            if (dom_ok and dow_ok) if both else (dom_ok or dow_ok):
                break
            if not added:
                added = True
                ts = _go_date(tz, w.year, w.month, w.day, 0, 0, 0)
                w = _wall(tz, ts)
            ts = _go_date(tz, w.year, w.month, w.day + 1, w.hour, w.minute, w.second)
            w = _wall(tz, ts)
            if w.hour != 0:  # robfig's fix-up for days whose midnight is skipped
                ts += (24 - w.hour) * 3600 if w.hour > 12 else -w.hour * 3600
                w = _wall(tz, ts)
            if w.day == 1:
                wrapped = True
                break
        if wrapped:
            continue

        while w.hour not in hours:
            if not added:
                added = True
                ts = _go_date(tz, w.year, w.month, w.day, w.hour, 0, 0)
                w = _wall(tz, ts)
            ts += 3600
            w = _wall(tz, ts)
            if w.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue

        if w.minute not in s.minutes:
            if not added:
                added = True
                ts -= ts % 60  # time.Truncate(time.Minute) works on absolute time
                w = _wall(tz, ts)
            # Stop at the next wanted minute, or at minute 0 (robfig wraps there).
            target = next((m for m in minutes if m > w.minute), 60)
            jump_ts = ts + (target - w.minute) * 60
            jump_w = _wall(tz, jump_ts)
            if _offset(jump_w) == _offset(w) and jump_w.minute == target % 60:
                ts, w = jump_ts, jump_w
            else:  # a UTC offset change inside the hour: step like robfig
                while True:
                    ts += 60
                    w = _wall(tz, ts)
                    if w.minute == 0 or w.minute in s.minutes:
                        break
            if w.minute == 0:
                continue

        if w.second != 0:  # the standard parser's seconds field is always {0}
            added = True
            jump_ts = ts + 60 - w.second
            jump_w = _wall(tz, jump_ts)
            if _offset(jump_w) == _offset(w) and jump_w.second == 0:
                ts, w = jump_ts, jump_w
            else:
                while w.second != 0:
                    ts += 1
                    w = _wall(tz, ts)
            continue  # robfig wraps whenever it reaches second 0

        return ts


def _floor_seconds(moment: _dt.datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return (moment - _EPOCH) // _SECOND


def next_fires(
    schedule: Schedule, tz: zoneinfo.ZoneInfo, after: _dt.datetime, count: int
) -> list[_dt.datetime]:
    """The next ``count`` fire times strictly after ``after``, as Argo computes them.

    Repeats robfig's ``Next`` (see the module docstring for DST behaviour),
    each call starting from the previous result.  Results are aware datetimes in
    ``tz`` (``fold`` set for the second of two equal wall times; compare them
    by ``timestamp()``, not with ``<``, across a fall-back overlap).  Fewer than
    ``count`` items are returned when robfig would give up: no fire within
    five calendar years of the previous one (e.g. ``0 0 31 2 *``) or beyond
    year 9999.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    prev = _floor_seconds(after, "after")
    minutes = sorted(schedule.minutes)
    fires: list[_dt.datetime] = []
    while len(fires) < count:
        try:
            found = _next_ts(schedule, minutes, tz, prev)
        except (OverflowError, ValueError, OSError):  # beyond datetime's range
            found = None
        if found is None:
            break
        fires.append(_wall(tz, found))
        prev = found
    return fires


def fires_within(schedule: Schedule, tz: zoneinfo.ZoneInfo, start: _dt.datetime, days: int) -> bool:
    """Whether the schedule fires in ``(start, start + days * 24h]`` (absolute time).

    Uses the same fire times as :func:`next_fires`; where robfig would give up
    after five years without a fire the search carries on from where it gave
    up, so very long windows are answered correctly too.
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    prev = _floor_seconds(start, "start")
    end_us = (start - _EPOCH) // _MICROSECOND + days * 86_400_000_000
    if days == 0 or not can_ever_fire(schedule):
        return False
    minutes = sorted(schedule.minutes)
    try:
        while True:
            found = _next_ts(schedule, minutes, tz, prev)
            if found is not None:
                return found * 1_000_000 <= end_us
            # Next searched up to the start of year(prev + 1s) + 6; go on from there.
            resume = _go_date(tz, _wall(tz, prev + 1).year + 6, 1, 1, 0, 0, 0) - 1
            if resume * 1_000_000 >= end_us:
                return False
            prev = max(resume, prev + 1)
    except (OverflowError, ValueError, OSError):  # beyond datetime's range
        return False
