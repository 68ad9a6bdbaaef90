"""Valid time: a half-open UTC interval [earliest, latest) with its precision, zone and original wording.

Sources rarely know an instant. "On 5 December" is the whole local day; "around midday" is an hour or
two; "that night" runs into the small hours. We keep the interval and never impute a midpoint.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._build import builder
from .errors import TimeLiteralError

PRECISIONS = ("second", "minute", "hour", "day", "month", "year", "interval")
QUALIFIERS = {"?": "uncertain", "~": "approximate", "%": "uncertain-approximate"}

ACCEPTED_FORMS = (
    "accepted forms: 2024-12-07T21:30 (naive = the log's zone), 2024-12-07T21:30+03:00 or ...Z, "
    "2024-12-05 (the whole local day), 2024-11 (a month), 2024 (a year), "
    "2024-12-07T21:30/2024-12-08T03:00 (an interval), and ? or ~ after a date (2024-12-05~)"
)

_INSTANT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d{1,6})?)?)?"
    r"(?P<off>Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2}))?)?(?P<q>[?~%])?$")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(dt: datetime) -> int:
    """UTC microseconds since the epoch: the integer form stored and indexed in the log."""
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def zone_info(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise TimeLiteralError(f"unknown time zone {zone!r} (use an IANA name such as Asia/Damascus)") from e


def _aware_utc(_inst, attribute, value):
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{attribute.name} must be a timezone-aware datetime")


@attrs.frozen(kw_only=True)
class ValidTime:
    """When something happened in the world: at some instant in [earliest, latest)."""

    earliest: datetime = attrs.field(validator=_aware_utc, converter=lambda d: d.astimezone(UTC) if isinstance(d, datetime) and d.tzinfo else d)
    latest: datetime = attrs.field(validator=_aware_utc, converter=lambda d: d.astimezone(UTC) if isinstance(d, datetime) and d.tzinfo else d)
    precision: str = attrs.field(default="interval", validator=attrs.validators.in_(PRECISIONS))
    zone: str = attrs.field(default="UTC", validator=lambda _i, _a, z: zone_info(z))
    wording: str | None = None
    qualifier: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.in_(tuple(QUALIFIERS.values()))))

    def __attrs_post_init__(self):
        if not self.earliest < self.latest:
            raise ValueError("a valid time's earliest bound must come before its latest")

    @property
    def lo(self) -> int:
        return to_micros(self.earliest)

    @property
    def hi(self) -> int:
        return to_micros(self.latest)

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

    def local(self) -> tuple[datetime, datetime]:
        tz = zone_info(self.zone)
        return self.earliest.astimezone(tz), self.latest.astimezone(tz)

    def describe(self) -> str:
        """A human reading that never pretends to more precision than there is."""
        lo, hi = self.local()
        last = hi - timedelta(microseconds=1)
        q = {"uncertain": "?", "approximate": " (approximately)", "uncertain-approximate": "? (approximately)"}.get(self.qualifier or "", "")
        precision = "interval" if self.qualifier and "approximate" in self.qualifier else self.precision
        if precision == "minute":
            return f"{lo:%d %b %Y %H:%M}{q}"
        if precision == "second":
            return f"{lo:%d %b %Y %H:%M:%S}{q}"
        if precision == "hour":
            return f"{lo:%d %b %Y %H}:00–{hi:%H}:00{q}"
        if precision == "day":
            return f"sometime on {lo:%d %b %Y}{q}"
        if precision == "month":
            return f"sometime in {lo:%B %Y}{q}"
        if precision == "year":
            return f"sometime in {lo:%Y}{q}"
        if lo.date() == last.date() and lo.time() == datetime.min.time() and last.hour == 23:
            return f"sometime on {lo:%d %b %Y}{q}"
        if lo.time() == datetime.min.time() and hi.time() == datetime.min.time():
            start = f"{lo:%d %b}" if lo.year == last.year else f"{lo:%d %b %Y}"
            return f"sometime between {start} and {last:%d %b %Y}{q}"
        if lo.date() == last.date():
            return f"between {lo:%H:%M} and {hi:%H:%M} on {lo:%d %b %Y}{q}"
        start = f"{lo:%d %b}" if lo.year == hi.year else f"{lo:%d %b %Y}"
        return f"between {lo:%H:%M} on {start} and {hi:%H:%M} on {hi:%d %b %Y}{q}"


def _offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        raise TimeLiteralError(f"{text!r} is not a UTC offset (from -14:00 to +14:00)")
    return sign * timedelta(hours=hours, minutes=minutes)


_STEPS = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1)}
_MICROSECOND = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_FIELDS = ("earliest", "latest", "precision", "zone", "wording", "qualifier")
_build = (tuple(a.name for a in attrs.fields(ValidTime)) == _FIELDS and builder(ValidTime, _FIELDS)
          or (lambda *values: ValidTime(**dict(zip(_FIELDS, values, strict=True)))))
_fromisoformat = datetime.fromisoformat


def _made(earliest: datetime, latest: datetime, precision: str, zone: str, qualifier: str | None = None, wording: str | None = None) -> ValidTime:
    """ValidTime(...) for the parser below, whose precision, qualifier and (already looked up) zone are
    valid by construction and whose bounds are in UTC already: the one check left is their order, and a
    failing one goes through the class to raise what it raises."""
    if not earliest < latest:
        return ValidTime(earliest=earliest, latest=latest, precision=precision, zone=zone, wording=wording, qualifier=qualifier)
    return _build(earliest, latest, precision, zone, wording, qualifier)


def _utc(tz: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """Midnight of a day in `tz` as a UTC datetime: datetime(..., tzinfo=tz).astimezone(UTC), done as
    that does it (less the offset the zone gives the wall time, fold 0) without the zoned datetime."""
    return datetime(year, month, day, tzinfo=UTC) - tz.utcoffset(datetime(year, month, day))


@functools.lru_cache(maxsize=65536)
def _parse_one(literal: str, zone: str) -> ValidTime:
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
            # _made, with its one check always passing: a step is positive.
            return _build(start, start + (_MICROSECOND if fraction else _STEPS[precision]), precision, stated_zone, None, None)
        m = _DATE.match(literal)
        if m:
            y = int(m["y"])
            try:
                if m["d"]:
                    first = date(y, int(m["mo"]), int(m["d"]))
                    after, precision, unit = first + _DAY, "day", "day"
                elif m["mo"]:
                    first = date(y, int(m["mo"]), 1)
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
        raise TimeLiteralError(f"cannot read {literal!r} as a time; {ACCEPTED_FORMS}")
    except OverflowError as e:
        raise TimeLiteralError(f"{literal!r} is outside the calendar Chrono can represent") from e


def _widen(d: date, unit: str, sign: int) -> date:
    if unit == "day":
        return d + timedelta(days=sign)
    if unit == "month":
        month = d.month - 1 + sign
        return date(d.year + month // 12, month % 12 + 1, 1)
    return date(d.year + sign, 1, 1)


def parse_valid_time(literal: str, zone: str = "UTC", wording: str | None = None) -> ValidTime:
    """Read a time literal a user typed; a naive time is in `zone`."""
    if not isinstance(literal, str) or not (literal := literal.strip()):
        raise TimeLiteralError(f"empty time; {ACCEPTED_FORMS}")
    if "/" in literal:
        start_text, _, end_text = literal.partition("/")
        if not start_text or not end_text or ".." in (start_text, end_text):
            raise TimeLiteralError(f"{literal!r}: an interval needs both ends; {ACCEPTED_FORMS}")
        start, end = _parse_one(start_text, zone), _parse_one(end_text, zone)
        # A date at the end includes that whole day; an instant at the end is the moment it closes.
        hi = end.latest if end.precision in ("day", "month", "year") else end.earliest
        if not start.earliest < hi:
            raise TimeLiteralError(f"{literal!r}: the interval ends before it starts")
        qualifier = start.qualifier or end.qualifier
        return _made(start.earliest, hi, "interval", start.zone, qualifier, wording)
    one = _parse_one(literal, zone)
    return one if wording is None else one.with_wording(wording)  # what is parsed has no wording


def parse_instant(literal: str, zone: str = "UTC") -> datetime:
    """A query time (--at, --as-of): an instant, or the first instant of a coarser literal."""
    return parse_valid_time(literal, zone).earliest


def iso(dt: datetime | None, zone: str | None = None) -> str | None:
    """ISO 8601 with offset, in `zone` when given."""
    if dt is None:
        return None
    if zone:
        dt = dt.astimezone(zone_info(zone))
    return dt.isoformat()
