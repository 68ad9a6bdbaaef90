"""Time literals: every form a user may type, what each means, and the errors for everything else."""

from datetime import UTC, datetime

import pytest

from chrono.errors import ChronoError, TimeLiteralError
from chrono.timeval import ACCEPTED_FORMS, ValidTime, parse_instant, parse_valid_time

DAMASCUS = "Asia/Damascus"  # UTC+3 all year since 2022


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def bounds(v: ValidTime) -> tuple[datetime, datetime]:
    return v.earliest, v.latest


# --- instants ----------------------------------------------------------------------------------------


def test_parse_naive_minute_is_in_the_given_zone():
    v = parse_valid_time("2024-12-07T21:30", DAMASCUS)
    assert (utc(2024, 12, 7, 18, 30), utc(2024, 12, 7, 18, 31)) == bounds(v)
    assert "minute" == v.precision
    assert DAMASCUS == v.zone
    assert v.qualifier is None


def test_parse_naive_minute_with_a_space_separator():
    assert bounds(parse_valid_time("2024-12-07T21:30", DAMASCUS)) == bounds(parse_valid_time("2024-12-07 21:30", DAMASCUS))


def test_parse_naive_minute_defaults_to_utc():
    assert (utc(2024, 12, 7, 21, 30), utc(2024, 12, 7, 21, 31)) == bounds(parse_valid_time("2024-12-07T21:30"))


def test_parse_offset_overrides_the_zone():
    v = parse_valid_time("2024-12-07T21:30-05:00", DAMASCUS)
    assert (utc(2024, 12, 8, 2, 30), utc(2024, 12, 8, 2, 31)) == bounds(v)


@pytest.mark.parametrize("literal", ["2024-12-07T21:30+03:00", "2024-12-07T21:30+0300", "2024-12-07T18:30Z"])
def test_parse_offset_and_z_name_the_same_instant(literal):
    v = parse_valid_time(literal, "America/New_York")
    assert (utc(2024, 12, 7, 18, 30), utc(2024, 12, 7, 18, 31)) == bounds(v)
    assert "minute" == v.precision


def test_parse_z_states_the_time_in_utc():
    assert "UTC" == parse_valid_time("2024-12-07T18:30Z", DAMASCUS).zone


def test_parse_hour_is_the_whole_hour():
    v = parse_valid_time("2024-12-07T21", DAMASCUS)
    assert (utc(2024, 12, 7, 18), utc(2024, 12, 7, 19)) == bounds(v)
    assert "hour" == v.precision


def test_parse_seconds_is_the_whole_second():
    v = parse_valid_time("2024-12-07T21:30:15", DAMASCUS)
    assert (utc(2024, 12, 7, 18, 30, 15), utc(2024, 12, 7, 18, 30, 16)) == bounds(v)
    assert "second" == v.precision


def test_parse_fractional_seconds_start_at_the_fraction():
    v = parse_valid_time("2024-12-07T21:30:15.25Z")
    assert utc(2024, 12, 7, 21, 30, 15, 250000) == v.earliest
    assert v.earliest < v.latest


# --- dates, months, years ----------------------------------------------------------------------------


def test_parse_date_is_the_whole_local_day():
    v = parse_valid_time("2024-12-05", DAMASCUS)
    assert (utc(2024, 12, 4, 21), utc(2024, 12, 5, 21)) == bounds(v)
    assert "day" == v.precision
    assert DAMASCUS == v.zone


def test_parse_month_is_the_whole_local_month():
    v = parse_valid_time("2024-11", DAMASCUS)
    assert (utc(2024, 10, 31, 21), utc(2024, 11, 30, 21)) == bounds(v)
    assert "month" == v.precision


def test_parse_month_knows_leap_february():
    assert (utc(2024, 2, 1), utc(2024, 3, 1)) == bounds(parse_valid_time("2024-02"))


def test_parse_year_is_the_whole_local_year():
    v = parse_valid_time("2024", DAMASCUS)
    assert (utc(2023, 12, 31, 21), utc(2024, 12, 31, 21)) == bounds(v)
    assert "year" == v.precision


# --- intervals -----------------------------------------------------------------------------------------


def test_parse_interval_with_instant_end_closes_at_that_instant():
    v = parse_valid_time("2024-12-07T21:30/2024-12-08T03:00", DAMASCUS)
    assert (utc(2024, 12, 7, 18, 30), utc(2024, 12, 8, 0, 0)) == bounds(v)
    assert "interval" == v.precision


def test_parse_interval_with_date_end_includes_the_whole_end_day():
    v = parse_valid_time("2024-12-07/2024-12-08", DAMASCUS)
    assert (utc(2024, 12, 6, 21), utc(2024, 12, 8, 21)) == bounds(v)
    assert "interval" == v.precision


def test_parse_interval_from_instant_to_date_includes_the_end_day():
    v = parse_valid_time("2024-12-07T21:30/2024-12-08", DAMASCUS)
    assert (utc(2024, 12, 7, 18, 30), utc(2024, 12, 8, 21)) == bounds(v)


def test_parse_interval_keeps_the_wording():
    v = parse_valid_time("2024-12-07T21:30/2024-12-08T03:00", DAMASCUS, wording="that night")
    assert "that night" == v.wording


def test_parse_interval_of_one_day_is_that_day():
    assert bounds(parse_valid_time("2024-12-07", DAMASCUS)) == bounds(parse_valid_time("2024-12-07/2024-12-07", DAMASCUS))


# --- EDTF qualifiers -----------------------------------------------------------------------------------


def test_parse_uncertain_date_keeps_bounds_and_sets_qualifier():
    v = parse_valid_time("2024-12-05?", DAMASCUS)
    assert bounds(parse_valid_time("2024-12-05", DAMASCUS)) == bounds(v)
    assert "uncertain" == v.qualifier
    assert "day" == v.precision


def test_parse_approximate_date_widens_by_one_day_each_side():
    v = parse_valid_time("2024-12-05~", DAMASCUS)
    assert (utc(2024, 12, 3, 21), utc(2024, 12, 6, 21)) == bounds(v)
    assert "approximate" == v.qualifier


def test_parse_approximate_month_widens_by_one_month_each_side():
    v = parse_valid_time("2024-12~", DAMASCUS)
    assert (utc(2024, 10, 31, 21), utc(2025, 1, 31, 21)) == bounds(v)
    assert "approximate" == v.qualifier


def test_parse_approximate_year_widens_by_one_year_each_side():
    assert (utc(2023, 1, 1), utc(2026, 1, 1)) == bounds(parse_valid_time("2024~"))


def test_parse_uncertain_and_approximate_widens_and_sets_both():
    v = parse_valid_time("2024-12-05%", DAMASCUS)
    assert bounds(parse_valid_time("2024-12-05~", DAMASCUS)) == bounds(v)
    assert "uncertain-approximate" == v.qualifier


def test_parse_uncertain_start_of_interval_marks_the_interval():
    v = parse_valid_time("2024-12-05?/2024-12-06", DAMASCUS)
    assert (utc(2024, 12, 4, 21), utc(2024, 12, 6, 21)) == bounds(v)
    assert "uncertain" == v.qualifier


# --- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "garbage",
        "yesterday",
        "2024-12-07T21:30?",  # qualifiers go on dates only
        "2024-12-7",
        "2024-12-07T",
        "2024-12-07T21:3",
        "12024",
        "2024-12-07T21:30+3",
    ],
)
def test_parse_garbage_names_the_accepted_forms(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert ACCEPTED_FORMS in str(e.value)
    assert repr(literal) in str(e.value)


def test_parse_slashed_day_month_year_names_the_accepted_forms():
    # A "/" makes it an interval, so the message names the first end it could not read.
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time("07/12/2024", DAMASCUS)
    assert ACCEPTED_FORMS in str(e.value)


@pytest.mark.parametrize("literal", ["2024-02-30", "2023-02-29", "2024-13", "2024-00-10", "2024-12-07T24:00", "2024-12-07T21:60", "2024-12-07T21:30:60", "0000"])
def test_parse_impossible_date_is_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert "not a real" in str(e.value)


@pytest.mark.parametrize("literal", ["", "   ", None])
def test_parse_empty_is_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert str(e.value).startswith("empty time")
    assert ACCEPTED_FORMS in str(e.value)


@pytest.mark.parametrize(
    "literal",
    ["2024-12-08/2024-12-07", "2024-12-08T03:00/2024-12-07T21:30", "2024-12-07T21:30/2024-12-07T21:30", "2025/2024"],
)
def test_parse_reversed_or_empty_interval_is_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert "ends before it starts" in str(e.value)


@pytest.mark.parametrize("literal", ["/2024-12-07", "2024-12-07/", "2024-12-07/..", "../2024-12-07"])
def test_parse_open_interval_is_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert "needs both ends" in str(e.value)


def test_parse_bad_end_of_interval_is_refused():
    with pytest.raises(TimeLiteralError):
        parse_valid_time("2024-12-07/tomorrow", DAMASCUS)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", "Asia/"])
def test_parse_unknown_zone_is_refused(zone):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time("2024-12-07T21:30", zone)
    assert "time zone" in str(e.value)


def test_time_literal_error_is_a_chrono_error():
    assert issubclass(TimeLiteralError, ChronoError)


def test_parse_impossible_offset_is_refused():
    with pytest.raises(TimeLiteralError):
        parse_valid_time("2024-12-07T21:30+99:99", DAMASCUS)


@pytest.mark.parametrize("literal", ["9999-12-31", "9999-12", "0001-01-01"])
def test_parse_date_at_the_edge_of_the_calendar_is_refused_cleanly(literal):
    with pytest.raises(TimeLiteralError):
        parse_valid_time(literal, DAMASCUS)


# --- describe() ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "reading"),
    [
        ("2024-12-07T21:30", "07 Dec 2024 21:30"),
        ("2024-12-07T21:30:15", "07 Dec 2024 21:30:15"),
        ("2024-12-07T21", "07 Dec 2024 21:00–22:00"),
        ("2024-12-05", "sometime on 05 Dec 2024"),
        ("2024-11", "sometime in November 2024"),
        ("2024", "sometime in 2024"),
        ("2024-12-05?", "sometime on 05 Dec 2024?"),
        ("2024-12-05~", "sometime between 04 Dec and 06 Dec 2024 (approximately)"),
        ("2024-12-07/2024-12-07", "sometime on 07 Dec 2024"),
        ("2024-12-07/2024-12-08", "sometime between 07 Dec and 08 Dec 2024"),
        ("2024-12-07T21:30/2024-12-07T23:00", "between 21:30 and 23:00 on 07 Dec 2024"),
        ("2024-12-07T21:30/2024-12-08T03:00", "between 21:30 on 07 Dec and 03:00 on 08 Dec 2024"),
    ],
)
def test_describe_reads_in_the_stated_zone(literal, reading):
    assert reading == parse_valid_time(literal, DAMASCUS).describe()


def test_describe_instant_with_z_reads_in_utc():
    assert "07 Dec 2024 18:30" == parse_valid_time("2024-12-07T18:30Z", DAMASCUS).describe()


def test_describe_approximate_year_names_both_years():
    assert "sometime between 01 Jan 2023 and 31 Dec 2025 (approximately)" == parse_valid_time("2024~").describe()


# --- parse_instant ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "instant"),
    [
        ("2024-12-07T21:30", utc(2024, 12, 7, 18, 30)),
        ("2024-12-07T21:30:59", utc(2024, 12, 7, 18, 30, 59)),
        ("2024-12-07T21:30Z", utc(2024, 12, 7, 21, 30)),
        ("2024-12-05", utc(2024, 12, 4, 21)),
        ("2024-11", utc(2024, 10, 31, 21)),
        ("2024", utc(2023, 12, 31, 21)),
        ("2024-12-07T21:30/2024-12-08T03:00", utc(2024, 12, 7, 18, 30)),
    ],
)
def test_parse_instant_is_the_first_instant(literal, instant):
    got = parse_instant(literal, DAMASCUS)
    assert instant == got
    assert got.tzinfo is not None


def test_parse_instant_refuses_garbage():
    with pytest.raises(TimeLiteralError):
        parse_instant("soon", DAMASCUS)


# --- ValidTime itself ---------------------------------------------------------------------------------------


def test_valid_time_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        ValidTime(earliest=datetime(2024, 12, 7), latest=datetime(2024, 12, 8))


def test_valid_time_refuses_empty_interval():
    with pytest.raises(ValueError):
        ValidTime(earliest=utc(2024, 12, 7), latest=utc(2024, 12, 7))


def test_valid_time_stores_utc():
    v = parse_valid_time("2024-12-07T21:30+03:00")
    assert UTC == v.earliest.tzinfo
