"""Valid time: a half-open UTC interval [earliest, latest) with its precision, zone and original wording.

Sources rarely know an instant. "On 5 December" is the whole local day; "around midday" is an hour or
two; "that night" runs into the small hours. We keep the interval and never impute a midpoint. The
literals are EDTF (ISO 8601-2) levels 0 and 1 and the sets of level 2; docs/edtf.md has the table of
the specification's examples, what each means and what is stored for it.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._build import builder
from .errors import TimeLiteralError

PRECISIONS = ("second", "minute", "hour", "day", "month", "year", "interval")
QUALIFIERS = {"?": "uncertain", "~": "approximate", "%": "uncertain-approximate"}
# What an end of a valid time is: a bound; open (EDTF `..`: there is none, "since before the story
# opens", "still going on"); or unknown (EDTF's empty end: there is one, and we do not know it).
ENDS = ("bounded", "open", "unknown")

ACCEPTED_FORMS = (
    "accepted forms (ISO 8601 and EDTF, year first): 2024-12-07T21:30 (naive = the log's zone), "
    "2024-12-07T21:30+03:00, +03 or Z, 2024-12-05 (the whole local day), 2024-11, 2024, 201X (unspecified "
    "digits), 2001-21 (a season), 2024-12-05/2024-12-08 (an interval; '..' for an open end, nothing for an "
    "unknown one), ? ~ or % after a date (2024-12-05~), [1667,1670..1672] (one of) and {...} (all of); "
    "see docs/edtf.md"
)
# A date as many countries write it (07/12/2024, 7.12.2024): which day it is depends on the reader.
_DAY_MONTH_YEAR = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})$")

_INSTANT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d{1,6})?)?)?"
    r"(?P<off>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_DATE = re.compile(r"^(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2}))?)?(?P<q>[?~%])?$")
# A date with unspecified digits (X) anywhere: EDTF level 1 from the right (201X, 1985-04-XX), level 2
# elsewhere (156X-12-25, XXXX-12-XX).
_PATTERN = re.compile(r"^(?P<y>[\dX]{4})(?:-(?P<mo>[\dX]{2})(?:-(?P<d>[\dX]{2}))?)?(?P<q>[?~%])?$")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_EPOCH_DAY = EPOCH.toordinal()
_LAST_DAY = date.max.toordinal()


def to_micros(dt: datetime) -> int:
    """UTC microseconds since the epoch: the integer form stored and indexed in the log."""
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int, _epoch: datetime = EPOCH, _delta: type[timedelta] = timedelta) -> datetime | None:
    """The UTC datetime of `to_micros`; None for CALENDAR_HI, the instant after the calendar's last,
    which no datetime holds (as a ValidTime's latest is None there). (Its two names bound as
    arguments: called for each bound of each fact an export writes, up to eight times a row, and a
    fifth faster so.)"""
    try:
        return _epoch + _delta(0, 0, us)
    except OverflowError:
        if us == CALENDAR_HI:
            return None
        raise


# Chrono's calendar, datetime's: the years 1 to 9999, in UTC microseconds [CALENDAR_LO, CALENDAR_HI).
# An open or unknown end takes its edge, and a window reaching past it (9999 in UTC, 9999~) is cut
# there: no query time lies outside the calendar, so the cut changes no answer. CALENDAR_HI is the
# instant after the last, which no datetime holds; CALENDAR_END is its ISO form (24:00 of the last day).
CALENDAR_LO = to_micros(datetime.min.replace(tzinfo=UTC))
CALENDAR_HI = (_LAST_DAY + 1 - _EPOCH_DAY) * _DAY_US
CALENDAR_END = "9999-12-31T24:00:00+00:00"
_CALENDAR = "outside Chrono's calendar, which runs from the year 1 to 9999"


def zone_info(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise TimeLiteralError(f"unknown time zone {zone!r} (use an IANA name such as Asia/Damascus)") from e


def _aware_utc(_inst, attribute, value):
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise ValueError(f"{attribute.name} must be a timezone-aware datetime")


def _in_utc(d):
    return d.astimezone(UTC) if isinstance(d, datetime) and d.tzinfo else d


def _end_qualifiers(_inst, _attribute, value):
    if value is None:
        return
    if type(value) is not tuple or len(value) != 2 or value == (None, None) or not all(q is None or q in _QUALIFIER_NAMES for q in value):
        raise ValueError("qualifiers must be a pair (the start's, the end's), each a qualifier or None, not both None")


def _edtf_text(_inst, _attribute, value):
    if value is not None and (type(value) is not str or not value):
        raise ValueError("edtf must be text")


_QUALIFIER_NAMES = tuple(QUALIFIERS.values())


def _together(a: str | None, b: str | None) -> str | None:
    """One qualifier saying what two say: uncertain if either is, approximate if either is."""
    uncertain = "uncertain" in (a or "") or "uncertain" in (b or "")
    approximate = "approximate" in (a or "") or "approximate" in (b or "")
    return "uncertain-approximate" if uncertain and approximate else "uncertain" if uncertain else "approximate" if approximate else None


@attrs.frozen(kw_only=True)
class ValidTime:
    """When something happened in the world: at some instant in [earliest, latest).

    An end that is not bounded (`start`, `end`: "open" or "unknown") has no datetime (earliest or
    latest is None) and takes the calendar's edge in `lo` and `hi`; so does a bounded end at the
    calendar's end (latest None, `end` "bounded"), which no datetime holds. `qualifier` is the whole
    time's; `qualifiers` is (the start's, the end's) for an interval whose ends carry their own (None
    for a single date, and for intervals logged before the ends kept theirs). `edtf` keeps the literal
    when the window alone does not say what it said: unspecified digits, seasons, sets. `wording` is
    the source's own words for the time (shown as a quotation); `gloss` the chronicler's, when the
    source has none ("when the offensive began"), never shown as the source's.
    """

    earliest: datetime | None = attrs.field(validator=_aware_utc, converter=_in_utc)
    latest: datetime | None = attrs.field(validator=_aware_utc, converter=_in_utc)
    precision: str = attrs.field(default="interval", validator=attrs.validators.in_(PRECISIONS))
    zone: str = attrs.field(default="UTC", validator=lambda _i, _a, z: zone_info(z))
    wording: str | None = None
    qualifier: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.in_(_QUALIFIER_NAMES)))
    start: str = attrs.field(default="bounded", validator=attrs.validators.in_(ENDS))
    end: str = attrs.field(default="bounded", validator=attrs.validators.in_(ENDS))
    qualifiers: tuple[str | None, str | None] | None = attrs.field(
        default=None, converter=lambda q: tuple(q) if isinstance(q, list) else q, validator=_end_qualifiers)
    edtf: str | None = attrs.field(default=None, validator=_edtf_text)
    # A chronicler's own words for the time, when the source gives none: never shown as a quotation.
    gloss: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str)))

    def __attrs_post_init__(self):
        if (self.earliest is None) != (self.start != "bounded"):
            raise ValueError("a valid time has an earliest bound exactly when its start is bounded")
        if self.latest is not None and self.end != "bounded":
            raise ValueError("an open or unknown end has no latest bound")
        if self.start != "bounded" and self.end != "bounded":
            raise ValueError("a valid time needs at least one bounded end")
        if self.qualifiers is not None and self.qualifier != _together(*self.qualifiers):
            raise ValueError("an interval's qualifier must be its ends' qualifiers together")
        if not self.lo < self.hi:
            raise ValueError("a valid time's earliest bound must come before its latest")

    @property
    def lo(self) -> int:
        return CALENDAR_LO if self.earliest is None else to_micros(self.earliest)

    @property
    def hi(self) -> int:
        return CALENDAR_HI if self.latest is None else to_micros(self.latest)

    @property
    def bounded(self) -> bool:
        """Whether both ends are bounds (either may still be the calendar's edge)."""
        return self.start == "bounded" and self.end == "bounded"

    def with_wording(self, wording: str | None) -> ValidTime:
        if wording == self.wording:
            return self
        # Everything else was checked when self was made; only the new wording needs a look.
        if wording is not None and not isinstance(wording, str):
            raise TypeError("wording must be text")
        copy = object.__new__(ValidTime)
        for a in attrs.fields(ValidTime):
            object.__setattr__(copy, a.name, wording if a.name == "wording" else getattr(self, a.name))
        return copy

    def local(self) -> tuple[datetime | None, datetime | None]:
        """The bounds in the stated zone; None for an end with no datetime."""
        tz = zone_info(self.zone)
        return (self.earliest and wall(self.earliest, tz)), (self.latest and wall(self.latest, tz))

    def describe(self) -> str:
        """A human reading that never pretends to more precision than there is."""
        text = self._reading()
        return f"{text} ({self.edtf})" if self.edtf else text

    def _reading(self) -> str:
        tz = zone_info(self.zone)
        last = wall(from_micros(CALENDAR_HI - 1) if self.latest is None else self.latest - _MICROSECOND, tz)
        try:
            hi = last + _MICROSECOND
        except OverflowError:  # the calendar's end, which no datetime holds: read as the end of its last day
            hi = None
        closes_a_day = hi is None or hi.time() == datetime.min.time()
        q = {"uncertain": "?", "approximate": " (approximately)", "uncertain-approximate": "? (approximately)"}.get(self.qualifier or "", "")
        if not self.bounded:
            start = f"an {self.start} start" if self.earliest is None else _moment(wall(self.earliest, tz))
            end = f"an {self.end} end" if self.end != "bounded" else f"{last:%d %b %Y}" if closes_a_day else _moment(hi)
            return f"from {start} to {end}{q}"
        lo = wall(self.earliest, tz)
        precision = "interval" if self.qualifier and "approximate" in self.qualifier else self.precision
        if precision == "minute":
            return f"{lo:%d %b %Y %H:%M}{q}"
        if precision == "second":
            return f"{lo:%d %b %Y %H:%M:%S}{q}"
        if precision == "hour":
            return f"{lo:%d %b %Y %H}:00–{hi:%H}:00{q}" if hi else f"{lo:%d %b %Y %H}:00–24:00{q}"
        if precision == "day":
            return f"sometime on {lo:%d %b %Y}{q}"
        if precision == "month":
            return f"sometime in {lo:%B %Y}{q}"
        if precision == "year":
            return f"sometime in {lo:%Y}{q}"
        if lo.date() == last.date() and lo.time() == datetime.min.time() and last.hour == 23:
            return f"sometime on {lo:%d %b %Y}{q}"
        if lo.time() == datetime.min.time() and closes_a_day:
            start = f"{lo:%d %b}" if lo.year == last.year else f"{lo:%d %b %Y}"
            return f"sometime between {start} and {last:%d %b %Y}{q}"
        if hi is None:
            return f"between {lo:%H:%M} on {lo:%d %b %Y} and the end of {last:%d %b %Y}{q}"
        if lo.date() == last.date():
            return f"between {lo:%H:%M} and {hi:%H:%M} on {lo:%d %b %Y}{q}"
        start = f"{lo:%d %b}" if lo.year == hi.year else f"{lo:%d %b %Y}"
        return f"between {lo:%H:%M} on {start} and {hi:%H:%M} on {hi:%d %b %Y}{q}"


def wall(dt: datetime, tz: ZoneInfo) -> datetime:
    """`dt` on the wall clocks of `tz`; where they read past the calendar's edge (the first hours of
    the year 1 west of UTC, the last of 9999 east of it), the edge."""
    try:
        return dt.astimezone(tz)
    except OverflowError:
        return (datetime.min if dt.year == 1 else datetime.max).replace(tzinfo=tz)


def _moment(t: datetime) -> str:
    return f"{t:%d %b %Y}" if t.time() == datetime.min.time() else f"{t:%H:%M} on {t:%d %b %Y}"


def _offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise TimeLiteralError(f"{text!r} is not a UTC offset (from -14:00 to +14:00)")
    return sign * timedelta(hours=hours, minutes=minutes)


_STEPS = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1)}
_DAY = timedelta(days=1)
_FIELDS = ("earliest", "latest", "precision", "zone", "wording", "qualifier", "start", "end", "qualifiers", "edtf", "gloss")
_build = (tuple(a.name for a in attrs.fields(ValidTime)) == _FIELDS and builder(ValidTime, _FIELDS)
          or (lambda *values: ValidTime(**dict(zip(_FIELDS, values, strict=True)))))
_fromisoformat = datetime.fromisoformat


def _made(earliest: datetime, latest: datetime, precision: str, zone: str, qualifier: str | None = None, wording: str | None = None) -> ValidTime:
    """ValidTime(...) for the parser below, whose precision, qualifier and (already looked up) zone are
    valid by construction and whose bounds are in UTC already: the one check left is their order, and a
    failing one goes through the class to raise what it raises."""
    if not earliest < latest:
        return ValidTime(earliest=earliest, latest=latest, precision=precision, zone=zone, wording=wording, qualifier=qualifier)
    return _build(earliest, latest, precision, zone, wording, qualifier, "bounded", "bounded", None, None, None)


def _window(lo: int, hi: int, precision: str, zone: str, qualifier: str | None = None, *, start: str = "bounded",
            end: str = "bounded", qualifiers: tuple | None = None, edtf: str | None = None) -> ValidTime:
    """A ValidTime from UTC microseconds, cut to the calendar; an end that is not bounded takes its edge."""
    lo = CALENDAR_LO if start != "bounded" else max(lo, CALENDAR_LO)
    hi = CALENDAR_HI if end != "bounded" else min(hi, CALENDAR_HI)
    earliest = None if start != "bounded" else from_micros(lo)
    latest = None if end != "bounded" or hi == CALENDAR_HI else from_micros(hi)
    if not lo < hi:
        raise TimeLiteralError("the interval ends before it starts")
    return _build(earliest, latest, precision, zone, None, qualifier, start, end, qualifiers, edtf, None)


def _utc(tz: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """Midnight of a day in `tz` as a UTC datetime: datetime(..., tzinfo=tz).astimezone(UTC), done as
    that does it (less the offset the zone gives the wall time, fold 0) without the zoned datetime."""
    return datetime(year, month, day, tzinfo=UTC) - tz.utcoffset(datetime(year, month, day))


def _ordinal(y: int, m: int, d: int) -> int:
    """date(y, m, d).toordinal(), for days past the calendar's edges too: any day before it is day 0,
    the day after its last is the last + 1, and any later day the last + 2 (all cut at the edges)."""
    if y < 1:
        return 0
    if y > 9999:
        return _LAST_DAY + (1 if (y, m, d) == (10000, 1, 1) else 2)
    return date(y, m, d).toordinal()


def _midnight(tz: ZoneInfo, ordinal: int) -> int:
    """Local midnight at the start of day `ordinal` in UTC microseconds, cut to the calendar. (The
    offset at the calendar's edges is the one of the nearest day a datetime holds.)"""
    wall = datetime.fromordinal(min(max(ordinal, 1), _LAST_DAY))
    us = (ordinal - _EPOCH_DAY) * _DAY_US - tz.utcoffset(wall) // _MICROSECOND
    return min(max(us, CALENDAR_LO), CALENDAR_HI)


def _add_months(y: int, m: int, months: int) -> tuple[int, int, int]:
    month = m - 1 + months
    return y + month // 12, month % 12 + 1, 1


def _local_window(tz: ZoneInfo, first: tuple, after: tuple, unit: str, qualifier: str | None) -> tuple[int, int]:
    """The UTC microseconds [lo, hi) of the local days from `first` up to `after` (dates as (y, m, d));
    approximate, one `unit` more either side: "about 5 December", never years of padding."""
    if qualifier in ("approximate", "uncertain-approximate"):
        if unit == "day":
            lo, hi = _ordinal(*first) - 1, _ordinal(*after) + 1
        elif unit == "month":
            lo, hi = _ordinal(*_add_months(first[0], first[1], -1)), _ordinal(*_add_months(after[0], after[1], 1))
        else:
            lo, hi = _ordinal(first[0] - 1, 1, 1), _ordinal(after[0] + 1, 1, 1)
    else:
        lo, hi = _ordinal(*first), _ordinal(*after)
    return _midnight(tz, lo), _midnight(tz, hi)


# Seasons and the other sub-year groupings (EDTF level 1: 21-24; level 2: 25-41), as (first month,
# months). 21-24 are read as the northern hemisphere's meteorological seasons, as 25-28 name them:
# spring March-May, summer June-August, autumn September-November, winter December-February, each
# the season that begins in the year written (winter 2010 = December 2010 to February 2011).
SEASONS = {
    21: (3, 3), 22: (6, 3), 23: (9, 3), 24: (12, 3),  # spring, summer, autumn, winter
    25: (3, 3), 26: (6, 3), 27: (9, 3), 28: (12, 3),  # the same, northern hemisphere
    29: (9, 3), 30: (12, 3), 31: (3, 3), 32: (6, 3),  # spring, summer, autumn, winter, southern hemisphere
    33: (1, 3), 34: (4, 3), 35: (7, 3), 36: (10, 3),  # quarters
    37: (1, 4), 38: (5, 4), 39: (9, 4),  # quadrimesters (thirds)
    40: (1, 6), 41: (7, 6),  # semesters (halves)
}


def _digits_matching(pattern: str, values) -> list[int]:
    """The values whose zero-padded digits match `pattern` (X: any digit)."""
    return [v for v in values if all(p in ("X", c) for p, c in zip(pattern, f"{v:0{len(pattern)}d}", strict=True))]


def _years_matching(pattern: str):
    """The years a four-character pattern allows, ascending."""
    slots = [i for i, c in enumerate(pattern) if c == "X"]
    for digits in itertools.product("0123456789", repeat=len(slots)):
        chars = list(pattern)
        for i, c in zip(slots, digits, strict=True):
            chars[i] = c
        yield int("".join(chars))


def _covering(literal: str, ys: str, ms: str | None, ds: str | None) -> tuple[tuple, tuple, str]:
    """The first day and the day after the last that a date with unspecified digits allows, and the
    unit of its digits: the window covering every date it may be."""
    lo_year, hi_year = int(ys.replace("X", "0")), int(ys.replace("X", "9"))
    if hi_year == 0:
        raise TimeLiteralError(f"{literal!r}: the year 0 (1 BCE) is {_CALENDAR}")
    if ms is None:
        return (lo_year, 1, 1), (hi_year + 1, 1, 1), "year"
    months = _digits_matching(ms, range(1, 13))
    if not months:
        raise TimeLiteralError(f"{literal!r} is not a real date (no month matches {ms})")
    if ds is None:
        return (lo_year, months[0], 1), _add_months(hi_year, months[-1], 1), "month"
    days = _digits_matching(ds, range(1, 32))
    years = [y for y in _years_matching(ys) if y >= 1]

    def real(year_order, month_order, day_order):
        for y in year_order:
            for m in month_order:
                for d in day_order:
                    if d <= calendar.monthrange(y, m)[1]:
                        return y, m, d
        return None

    first = real(years, months, days)
    if first is None:
        raise TimeLiteralError(f"{literal!r} is not a real date (no day matches)")
    last = real(reversed(years), months[::-1], days[::-1])
    return first, _day_after(last), "day"


def _day_after(ymd: tuple) -> tuple:
    if ymd == (9999, 12, 31):
        return (10000, 1, 1)
    d = date(*ymd) + _DAY
    return d.year, d.month, d.day


def _date_window(literal: str, m: re.Match, tz: ZoneInfo, zone: str) -> ValidTime:
    """A date, a season, or a date with unspecified digits: its local days as a UTC window."""
    ys, ms, ds, q = m.group("y", "mo", "d", "q")
    qualifier = QUALIFIERS.get(q or "")
    edtf = None
    if "X" in literal:
        first, after, unit = _covering(literal, ys, ms, ds)
        precision, edtf = "interval", literal
    else:
        y = int(ys)
        if y == 0:
            raise TimeLiteralError(f"{literal!r}: the year 0 (1 BCE) is {_CALENDAR}")
        try:
            if ds:
                first = (y, int(ms), int(ds))
                date(*first)
                after, precision, unit = _day_after(first), "day", "day"
            elif ms and int(ms) in SEASONS:
                month, months = SEASONS[int(ms)]
                first, after, unit = (y, month, 1), _add_months(y, month, months), "month"
                precision, edtf = "interval", literal
            elif ms and int(ms) > 12:
                raise ValueError("a month is 01 to 12; a season or other part of a year 21 to 41")
            elif ms:
                first = (y, int(ms), 1)
                date(*first)
                after, precision, unit = _add_months(y, int(ms), 1), "month", "month"
            else:
                first, after, precision, unit = (y, 1, 1), (y + 1, 1, 1), "year", "year"
        except ValueError as e:
            raise TimeLiteralError(f"{literal!r} is not a real date ({e})") from e
    lo, hi = _local_window(tz, first, after, unit, qualifier)
    return _window(lo, hi, precision, zone, qualifier, edtf=edtf)


@functools.lru_cache(maxsize=65536)
def _parse_one(literal: str, zone: str) -> ValidTime:
    """A literal without '/': an instant, a date (qualified, with unspecified digits, a season) or a set."""
    # Cached: a log repeats its literals (every event "on 5 December"), and ValidTime is immutable.
    try:
        tz = zone_info(zone)
        m = _INSTANT.match(literal)
        if m:
            date_text, hour, minute, second, fraction, off = m.group("date", "h", "m", "s", "f", "off")
            precision = "second" if second else "minute" if minute else "hour"
            wall = None
            if not off and literal.isascii():
                # fromisoformat reads every such literal as the fields below do, and faster; one it
                # refuses (a time that does not exist) takes the way below, which says why.
                try:
                    wall, start = _fromisoformat(literal), _fromisoformat(literal + "Z")
                except ValueError:
                    wall = None
            if wall is None:
                y, mo, d = int(date_text[:4]), int(date_text[5:7]), int(date_text[8:])
                if y == 0:
                    raise TimeLiteralError(f"{literal!r}: the year 0 (1 BCE) is {_CALENDAR}")
                h, mi, s = int(hour), int(minute or 0), int(second or 0)
                us = int(fraction[1:].ljust(6, "0")) if fraction else 0
                try:
                    start = datetime(y, mo, d, h, mi, s, us, UTC)
                except ValueError as e:
                    raise TimeLiteralError(f"{literal!r} is not a real time ({e})") from e
                wall = datetime(y, mo, d, h, mi, s, us) if not off else None
            if not off:
                # The wall time in the zone: what datetime(..., tzinfo=tz).astimezone(UTC) gives, less
                # the zoned datetime (a ZoneInfo gives a naive wall time's offset, fold 0, as for it).
                start -= tz.utcoffset(wall)
                stated_zone = zone
            elif off == "Z":
                stated_zone = "UTC"
            else:
                start -= _offset(off)
                stated_zone = zone
            step = _MICROSECOND if fraction else _STEPS[precision]
            if start.year == 9999 and start.month == 12 and start.day == 31:
                # The calendar's last hour: the step may reach past it, to the edge.
                return _window(to_micros(start), to_micros(start) + step // _MICROSECOND, precision, stated_zone)
            # _made, with its one check always passing: a step is positive.
            return _build(start, start + step, precision, stated_zone, None, None, "bounded", "bounded", None, None, None)
        m = _DATE.match(literal)
        if m:
            y, mo = int(m["y"]), m["mo"]
            if not 2 < y < 9998 or (mo and int(mo) > 12):
                return _date_window(literal, m, tz, zone)  # near the calendar's edges; seasons
            try:
                if m["d"]:
                    first = date(y, int(mo), int(m["d"]))
                    after, precision, unit = first + _DAY, "day", "day"
                elif mo:
                    first = date(y, int(mo), 1)
                    days = calendar.monthrange(y, first.month)[1]
                    after, precision, unit = first + timedelta(days=days), "month", "month"
                else:
                    first, after, precision, unit = date(y, 1, 1), date(y + 1, 1, 1), "year", "year"
            except ValueError as e:
                raise TimeLiteralError(f"{literal!r} is not a real date ({e})") from e
            qualifier = QUALIFIERS.get(m["q"] or "")
            if qualifier in ("approximate", "uncertain-approximate"):
                # "About 5 December": one unit of the stated precision either side, never years of padding.
                first, after = _widen(first, unit, -1), _widen(after, unit, +1)
            lo = _utc(tz, first.year, first.month, first.day)
            hi = _utc(tz, after.year, after.month, after.day)
            return _made(lo, hi, precision, zone, qualifier)
        m = _PATTERN.match(literal)
        if m:
            return _date_window(literal, m, tz, zone)
        if literal[:1] in ("[", "{"):
            return _parse_set(literal, zone)
        raise _refusal(literal)
    except OverflowError as e:
        raise TimeLiteralError(f"{literal!r} is {_CALENDAR}") from e


def _widen(d: date, unit: str, sign: int) -> date:
    if unit == "day":
        return d + timedelta(days=sign)
    if unit == "month":
        month = d.month - 1 + sign
        return date(d.year + month // 12, month % 12 + 1, 1)
    return date(d.year + sign, 1, 1)


_LEVEL_2 = "is EDTF level 2, which Chrono does not read"
_LONG_YEAR = re.compile(r"^Y(?P<y>-?\d+)(?P<e>E\d+)?(?P<s>S\d+)?(?P<q>[?~%])?$")
_NEGATIVE = re.compile(r"^-[\dX]{4}(?:-[\dX]{2}){0,2}(?:T\S*)?[?~%]?$")
_SIGNIFICANT = re.compile(r"^-?\d{4}S\d+[?~%]?$")
_INNER_QUALIFIER = re.compile(r"^[?~%]?[\dX]{4}[?~%]?(?:-[?~%]?[\dX]{2}[?~%]?){0,2}$")


def _refusal(literal: str) -> TimeLiteralError:
    """Why a literal is refused: a form of EDTF that Chrono does not read, named; else the forms it does."""
    m = _LONG_YEAR.match(literal)
    if m and m["e"]:
        return TimeLiteralError(f"{literal!r}: an exponential year (Y17E7) {_LEVEL_2}")
    if m and m["s"] or _SIGNIFICANT.match(literal):
        return TimeLiteralError(f"{literal!r}: a year with significant digits (1950S2) {_LEVEL_2}")
    if m:
        return TimeLiteralError(f"{literal!r}: the year {int(m['y'])} is {_CALENDAR}")
    if _NEGATIVE.match(literal):
        return TimeLiteralError(f"{literal!r}: a year before the year 1 (BCE) is {_CALENDAR}")
    if _INNER_QUALIFIER.match(literal):
        return TimeLiteralError(
            f"{literal!r}: a qualifier on part of a date (2004?-06-11, 2004-06-~11) {_LEVEL_2}; "
            "qualify the whole date instead (2004-06-11?)")
    return _unreadable(literal)


def _unreadable(literal: str, part: str | None = None) -> TimeLiteralError:
    """A literal in none of the forms: the forms, and for a date written day or month first, the dates
    it may mean, written year first."""
    m = _DAY_MONTH_YEAR.match(literal)
    readings = {}
    if m:
        a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
        for day, month, first in ((a, b, "day"), (b, a, "month")):
            try:
                readings.setdefault(date(y, month, day).isoformat(), f"if {m['a']} is the {first}")
            except ValueError:
                pass
    if len(readings) > 1:
        hint = ": write the year first, " + " or ".join(f"{d} {when}" for d, when in readings.items())
    else:
        hint = f": write the year first, {next(iter(readings))}" if readings else f": {part!r} is not a date or a time" if part else ""
    return _Unreadable(f"cannot read {literal!r} as a time{hint}; {ACCEPTED_FORMS}")


class _Unreadable(TimeLiteralError):
    """A literal, or an end of one, in none of the forms Chrono reads."""


def _close(v: ValidTime) -> int:
    """Where a window closes as the end of an interval: a date (or any window of days) includes its
    whole extent; an instant is the moment it closes."""
    return v.lo if v.precision in _STEPS else v.hi


def _parse_set(literal: str, zone: str) -> ValidTime:
    """EDTF level 2 sets: one of ([...]) or all of ({...}) dates and ranges (a..b; ..a first, b.. last
    for "or earlier", "or later"). Stored as the window covering them all, the set kept as `edtf`."""
    text = re.sub(r"\s+", "", literal)
    if len(text) < 3 or text[-1] != {"[": "]", "{": "}"}[text[0]]:
        raise TimeLiteralError(f"cannot read {literal!r} as a set of dates; {ACCEPTED_FORMS}")
    items = text[1:-1].split(",")
    start = end = "bounded"
    los, his, qualifiers, zones = [], [], [], []
    for i, item in enumerate(items):
        if item.startswith("..") and i == 0:
            start, item = "open", item[2:]
        if item.endswith("..") and i == len(items) - 1:
            end, item = "open", item[:-2]
        first_text, dots, last_text = item.partition("..")
        if not first_text or dots and not last_text:
            raise TimeLiteralError(f"{literal!r}: {item!r} is not a date or a range of dates (a..b) of a set")
        first = _parse_one(first_text, zone)
        last = _parse_one(last_text, zone) if dots else first
        if not first.bounded or first.edtf and first.edtf[:1] in "[{" or not last.bounded or last.edtf and last.edtf[:1] in "[{":
            raise TimeLiteralError(f"{literal!r}: a set holds dates and ranges of dates, not sets")
        if not first.lo < _close(last):
            raise TimeLiteralError(f"{literal!r}: the range {item!r} ends before it starts")
        los.append(first.lo)
        his.append(_close(last))
        qualifiers += [first.qualifier, last.qualifier]
        zones.append(first.zone)
    qualifier = functools.reduce(_together, qualifiers, None)
    return _window(min(los), max(his), "interval", zones[0], qualifier, start=start, end=end, edtf=text)


def _end(text: str, zone: str) -> ValidTime | str:
    """One end of an interval: '..' (open), '' (unknown), or a date or instant (not a set)."""
    if text == "..":
        return "open"
    if not text:
        return "unknown"
    if text[:1] in ("[", "{"):
        raise TimeLiteralError(f"{text!r}: a set cannot be an end of an interval")
    return _parse_one(text, zone)


def _end_of(literal: str, text: str, zone: str) -> ValidTime | str:
    """`_end`, for the interval `literal`: an end in none of the forms is named within what was typed."""
    try:
        return _end(text, zone)
    except _Unreadable:
        raise _unreadable(literal, text) from None


def _stated(text: str, v: ValidTime, zone: str) -> ValidTime:
    """An end as stated, before an approximate qualifier widened it."""
    return _parse_one(text[:-1], zone) if text[-1:] in ("~", "%") else v


@functools.lru_cache(maxsize=16384)
def _parse_interval(literal: str, zone: str) -> ValidTime:
    start_text, _, end_text = literal.partition("/")
    if "/" in end_text:
        raise _unreadable(literal)
    start, end = _end_of(literal, start_text, zone), _end_of(literal, end_text, zone)
    if type(start) is str and type(end) is str:
        raise TimeLiteralError(f"{literal!r}: an interval needs at least one end that is a date or a time; {ACCEPTED_FORMS}")
    if type(start) is not str and type(end) is not str:
        # The ends in their order as stated, and again as widened (which cannot undo it, but says so).
        if not _stated(start_text, start, zone).lo < _close(_stated(end_text, end, zone)) or not start.lo < _close(end):
            raise TimeLiteralError(f"{literal!r}: the interval ends before it starts")
    lo = CALENDAR_LO if type(start) is str else start.lo
    hi = CALENDAR_HI if type(end) is str else _close(end)
    qs = None if type(start) is str else start.qualifier, None if type(end) is str else end.qualifier
    zone_of = start.zone if type(start) is not str else end.zone
    patterned = any(type(v) is not str and v.edtf for v in (start, end))
    try:
        return _window(lo, hi, "interval", zone_of, _together(*qs), start=start if type(start) is str else "bounded",
                       end=end if type(end) is str else "bounded", qualifiers=None if qs == (None, None) else qs,
                       edtf=literal if patterned else None)
    except TimeLiteralError as e:
        raise TimeLiteralError(f"{literal!r}: {e}") from e


def parse_valid_time(literal: str, zone: str = "UTC", wording: str | None = None) -> ValidTime:
    """Read a time literal a user typed; a naive time is in `zone`."""
    if not isinstance(literal, str) or not (literal := literal.strip()):
        raise TimeLiteralError(f"empty time; {ACCEPTED_FORMS}")
    one = _parse_interval(literal, zone) if "/" in literal else _parse_one(literal, zone)
    return one if wording is None else one.with_wording(wording)  # what is parsed has no wording


def parse_instant(literal: str, zone: str = "UTC") -> datetime:
    """A query time (--at, --as-of): an instant, or the first instant of a coarser literal."""
    valid = parse_valid_time(literal, zone)
    if valid.earliest is None:
        raise TimeLiteralError(f"{literal!r} has an {valid.start} start: a query time needs its first instant")
    return valid.earliest


def iso(dt: datetime | None, zone: str | None = None) -> str | None:
    """ISO 8601 with offset, in `zone` when given (in UTC if the zone's wall clock there is past the
    calendar's last day, as at the end of 9999 east of UTC)."""
    if dt is None:
        return None
    if zone:
        try:
            dt = dt.astimezone(zone_info(zone))
        except OverflowError:
            pass
    return dt.isoformat()
