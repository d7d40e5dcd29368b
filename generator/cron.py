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
* robfig moves between days and months with Go's ``time.Date``/``AddDate`` on
  wall-clock midnight.  Go resolves a non-existent or ambiguous wall time with
  the offset in force at ``wall - offset(wall read as UTC)`` (reproduced in
  :func:`_go_date`).  This only matters in zones whose clocks change at
  midnight, and robfig's oddities there are reproduced too: a skipped midnight
  (America/Sao_Paulo 2018-11-04) does not fire ``0 0 * * *``, and a repeated
  midnight (Asia/Amman 2018-10-26) fires ``0 0 * * *`` twice but ``0 0 * * FRI``
  (reached by a day step) only at the later instant.
* Like robfig, the search gives up once the candidate's year exceeds
  ``year(after + 1s) + 5``; :func:`next_fires` then returns fewer items.
  Schedules that can never fire (:func:`can_ever_fire`) return no items at
  once, and where robfig itself would loop forever (zones that skipped a whole
  calendar day, see :meth:`_Search.next`) the search stops instead.

The fire times agree with robfig/cron v3.0.1 (run under Go 1.19 with the same
tz database) on some 36,000 random schedule/zone/start combinations, most of
them next to offset changes in 52 zones, including the odd ones above.

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
_SIMPLE_ITEM = re.compile(
    "(?:([*?])|([0-9]{1,9}|[A-Za-z]{3})(?:-([0-9]{1,9}|[A-Za-z]{3}))?)(?:/([0-9]{1,9}))?"
)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None
    hint: str
    full: frozenset[int]


_MINUTE = _Field("minute", 0, 59, None, "", frozenset(range(0, 60)))
_HOUR = _Field("hour", 0, 23, None, "", frozenset(range(0, 24)))
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, None, "", frozenset(range(1, 32)))
_MONTH = _Field("month", 1, 12, _MONTH_NAMES, "JAN-DEC", frozenset(range(1, 13)))
_DAY_OF_WEEK = _Field("day-of-week", 0, 6, _DOW_NAMES, "SUN-SAT", frozenset(range(0, 7)))


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


def _fast_item(item: str, field: _Field) -> tuple[range, bool] | None:
    """The common well-formed items (ASCII numbers, 3-letter names, ``*``/``?``,
    optional step); ``None`` sends anything else, and every error, the long way."""
    match = _SIMPLE_ITEM.fullmatch(item)
    if match is None:
        return None
    star_token, low_token, high_token, step_token = match.groups()
    step = int(step_token) if step_token else 1
    if star_token:
        start, end = field.low, field.high
    else:
        start_or_none = _simple_value(low_token, field)
        if start_or_none is None:
            return None
        start = start_or_none
        if high_token:
            end_or_none = _simple_value(high_token, field)
            if end_or_none is None:
                return None
            end = end_or_none
        else:
            end = field.high if step_token else start
    if step < 1 or not field.low <= start <= end <= field.high:
        return None
    return range(start, end + 1, step), bool(star_token) and step == 1


def _simple_value(token: str, field: _Field) -> int | None:
    if token[0] <= "9":
        return int(token)
    return None if field.names is None else field.names.get(token.lower())


def _parse_field(text: str, field: _Field) -> tuple[frozenset[int], bool]:
    if text == "*" or text == "?":
        return field.full, True
    if len(text) <= 2 and text.isascii() and text.isdigit():
        value = int(text)
        if field.low <= value <= field.high:
            return frozenset((value,)), False
    if "," not in text:
        item = _fast_item(text, field) or _parse_item(text, field)
        return frozenset(item[0]), item[1]
    values: set[int] = set()
    star = False
    for text_item in text.split(","):
        if text_item:  # robfig splits with strings.FieldsFunc: empty items vanish
            item_values, item_star = _fast_item(text_item, field) or _parse_item(text_item, field)
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
    field = _MINUTE
    try:
        minutes, _ = _parse_field(texts[0], field)
        field = _HOUR
        hours, _ = _parse_field(texts[1], field)
        field = _DAY_OF_MONTH
        days_of_month, dom_star = _parse_field(texts[2], field)
        field = _MONTH
        months, _ = _parse_field(texts[3], field)
        field = _DAY_OF_WEEK
        days_of_week, dow_star = _parse_field(texts[4], field)
    except _ItemError as err:
        raise CronError(f"{field.name}: {err}", expression=expression, field=field.name) from None
    return Schedule(
        expression, minutes, hours, days_of_month, months, days_of_week, dom_star, dow_star
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
) -> tuple[int, _dt.datetime]:
    """Go's ``time.Date(...)``, returned as (Unix second, wall reading in ``tz``).

    Out-of-range months and days roll over.  A wall time that does not exist or
    exists twice is resolved like Go does: read the wall time as if it were UTC,
    take that instant's offset ``o1``, then use the offset in force at
    ``wall - o1``.  East of UTC this picks the later instant of an ambiguous
    time, west of UTC the earlier one; a time in a gap is moved by the gap's
    size (forward east of UTC, backward west of it).
    """
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    days = _dt.date(year, month, 1).toordinal() - _EPOCH_ORDINAL + day - 1
    wall = days * 86400 + hour * 3600 + minute * 60 + second
    guess = _offset(_wall(tz, wall))
    moment = _wall(tz, wall - guess)
    offset = _offset(moment)
    if offset == guess:
        return wall - guess, moment
    return wall - offset, _wall(tz, wall - offset)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return _MONTH_DAYS[month]


# Loop iterations (wraps plus day steps) after which a search is abandoned; a
# five-year search of a schedule that can fire needs a few thousand at most.
_ITERATION_BUDGET = 100_000


class _Search:
    """One schedule prepared for repeated robfig ``Next`` calls in one zone.

    :meth:`next` reproduces ``SpecSchedule.Next`` step for step: months and
    days advance through Go's ``time.Date`` (:func:`_go_date`), hours, minutes
    and seconds as absolute time.  Runs of steps that robfig takes one at a
    time are taken at once where that provably lands on the same instant:
    when the UTC offset is the same at both ends of a run of at most 24 hours
    (minutes, hours, seconds), or at every day boundary of a run of days.  This
    relies on no zone changing its offset twice within 24 hours (in tzdata the
    closest pair of changes is about four days apart); wherever the offset
    does change, robfig's single steps are taken.
    """

    __slots__ = ("both", "doms", "dows", "hours", "minutes", "months", "sorted_hours",
                 "sorted_minutes", "tz")  # fmt: skip

    def __init__(self, schedule: Schedule, tz: _dt.tzinfo) -> None:
        self.tz = tz
        self.months = schedule.months
        self.doms = schedule.days_of_month
        self.dows = schedule.days_of_week
        self.both = schedule.dom_star or schedule.dow_star
        self.hours = schedule.hours
        self.minutes = schedule.minutes
        self.sorted_hours = sorted(schedule.hours)
        self.sorted_minutes = sorted(schedule.minutes)

    def _day_ok(self, day: int, weekday: int) -> bool:
        dom_ok = day in self.doms
        dow_ok = weekday in self.dows
        return (dom_ok and dow_ok) if self.both else (dom_ok or dow_ok)

    def _skip_days(self, ts: int, w: _dt.datetime) -> tuple[int, _dt.datetime, bool]:
        """From midnight of a non-matching day, move over whole days as robfig's
        ``AddDate(0, 0, 1)`` loop would, while no offset change intervenes.

        Returns the new position and whether it is where robfig's loop stops
        (a matching day, or the 1st of the next month, where robfig wraps).
        """
        weekday = w.isoweekday() % 7
        last = _days_in_month(w.year, w.month) - w.day + 1  # the 1st of next month
        goal = next((k for k in range(1, last) if self._day_ok(w.day + k, (weekday + k) % 7)), last)
        offset = _offset(w)
        moved = 0
        while moved < goal and _offset(_wall(self.tz, ts + (moved + 1) * 86400)) == offset:
            moved += 1
        if moved == 0:
            return ts, w, False
        # Every wall time on the way exists, so robfig's steps land on the same wall
        # times; the last one may still be ambiguous, and Go resolves that.
        ts, w = _go_date(self.tz, w.year, w.month, w.day + moved, w.hour, w.minute, w.second)
        return ts, w, moved == goal

    def next(self, prev: int) -> int | None:
        """robfig ``SpecSchedule.Next`` for a whole-second Unix time ``prev``.

        Where robfig never returns, this returns ``None``: in zones that skipped
        a whole calendar day (Pacific/Apia and Pacific/Fakaofo on 2011-12-30,
        Pacific/Kiritimati and Pacific/Kanton on 1994-12-31) Go's ``AddDate(0,
        0, 1)`` from the day before lands on that same day again, and robfig's
        day loop spins forever.  A step that does not move, or an iteration
        budget far above what any real five-year search needs, ends the search.
        """
        tz = self.tz
        budget = _ITERATION_BUDGET
        ts = prev + 1
        w = _wall(tz, ts)
        added = False
        year_limit = w.year + 5
        while True:  # robfig's WRAP label
            budget -= 1
            if w.year > year_limit or budget < 0:
                return None

            # Month: AddDate(0, 1, 0) until a wanted month; wrap at January.
            wrapped = False
            while w.month not in self.months:
                if not added:
                    added = True
                    ts, w = _go_date(tz, w.year, w.month, 1, 0, 0, 0)
                ts, w = _go_date(tz, w.year, w.month + 1, w.day, w.hour, w.minute, w.second)
                if w.month == 1:
                    wrapped = True
                    break
            if wrapped:
                continue

            # Day: AddDate(0, 0, 1) until a wanted day; wrap at the 1st.
            while not self._day_ok(w.day, w.isoweekday() % 7):
                if not added:
                    added = True
                    ts, w = _go_date(tz, w.year, w.month, w.day, 0, 0, 0)
                if w.hour == 0:
                    ts, w, arrived = self._skip_days(ts, w)
                    if arrived:
                        if w.day == 1:
                            wrapped = True
                            break
                        continue
                before = ts
                ts, w = _go_date(tz, w.year, w.month, w.day + 1, w.hour, w.minute, w.second)
                if w.hour != 0:  # robfig's fix-up for days whose midnight is skipped
                    ts += (24 - w.hour) * 3600 if w.hour > 12 else -w.hour * 3600
                    w = _wall(tz, ts)
                budget -= 1
                if ts == before or budget < 0:  # robfig would loop forever here
                    return None
                if w.day == 1:
                    wrapped = True
                    break
            if wrapped:
                continue

            # Hour: +1h until a wanted hour; wrap at hour 0.
            if w.hour not in self.hours:
                if not added:
                    added = True
                    ts, w = _go_date(tz, w.year, w.month, w.day, w.hour, 0, 0)
                target = next((h for h in self.sorted_hours if h > w.hour), 24)
                ts, w = self._advance(ts, w, 3600, target - w.hour, "hour", target % 24)
                if w.hour == 0:
                    continue

            # Minute: +1m until a wanted minute; wrap at minute 0.
            if w.minute not in self.minutes:
                if not added:
                    added = True
                    ts -= ts % 60  # Truncate(time.Minute) works on absolute time
                    w = _wall(tz, ts)
                target = next((m for m in self.sorted_minutes if m > w.minute), 60)
                ts, w = self._advance(ts, w, 60, target - w.minute, "minute", target % 60)
                if w.minute == 0:
                    continue

            # Second: the standard parser's seconds field is {0}; reaching
            # second 0 always wraps.
            if w.second != 0:
                added = True
                ts, w = self._advance(ts, w, 1, 60 - w.second, "second", 0)
                continue

            return ts

    def _advance(
        self, ts: int, w: _dt.datetime, unit: int, steps: int, field: str, target: int
    ) -> tuple[int, _dt.datetime]:
        """robfig's ``for field not wanted { t = t.Add(unit); if field == 0 { wrap } }``.

        ``steps`` units lead to ``target`` (the next wanted value, or 0) if the
        offset does not change on the way; otherwise step unit by unit.
        """
        tz = self.tz
        jump = _wall(tz, ts + steps * unit)
        if _offset(jump) == _offset(w) and getattr(jump, field) == target:
            return ts + steps * unit, jump
        wanted = {"hour": self.hours, "minute": self.minutes, "second": frozenset((0,))}[field]
        while True:
            ts += unit
            w = _wall(tz, ts)
            value = getattr(w, field)
            if value == 0 or value in wanted:
                return ts, w


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
    if not can_ever_fire(schedule):  # robfig would search five years in vain
        return []
    search = _Search(schedule, tz)
    fires: list[_dt.datetime] = []
    while len(fires) < count:
        try:
            found = search.next(prev)
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
    search = _Search(schedule, tz)
    try:
        while True:
            found = search.next(prev)
            if found is not None:
                return found * 1_000_000 <= end_us
            # Next searched up to the start of year(prev + 1s) + 6; go on from there.
            resume = _go_date(tz, _wall(tz, prev + 1).year + 6, 1, 1, 0, 0, 0)[0] - 1
            if resume * 1_000_000 >= end_us:
                return False
            prev = max(resume, prev + 1)
    except (OverflowError, ValueError, OSError):  # beyond datetime's range
        return False
