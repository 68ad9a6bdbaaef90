"""Time literals: every form a user may type, what each means, and the errors for everything else."""

from datetime import UTC, datetime

import pytest

from chrono.errors import ChronoError, TimeLiteralError
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, ACCEPTED_FORMS, ValidTime, from_micros, parse_instant, parse_valid_time, to_micros

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


@pytest.mark.parametrize("literal", ["2024-02-30", "2023-02-29", "2024-13", "2024-00-10", "2024-12-07T24:00", "2024-12-07T21:60", "2024-12-07T21:30:60"])
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


@pytest.mark.parametrize("literal", ["/", "../..", "/..", "../"])
def test_parse_interval_without_a_known_end_is_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert "needs at least one end" in str(e.value)


@pytest.mark.parametrize("literal", ["2024/2025/2026", "[2024,2025]/2026", "2024/{2025}"])
def test_parse_interval_of_more_than_two_dates_is_refused(literal):
    with pytest.raises(TimeLiteralError):
        parse_valid_time(literal, DAMASCUS)


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


@pytest.mark.parametrize("literal", ["0000", "0000-01-01", "0000~", "0000-XX-01", "0000-XX"])
def test_parse_year_zero_is_refused_as_outside_the_calendar(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert "the year 0 (1 BCE) is outside Chrono's calendar, which runs from the year 1 to 9999" in str(e.value)


@pytest.mark.parametrize("literal", ["-1985", "-0001-01-01", "Y-170000002", "Y10000", "0001-01-01T01:00", "9999-12-31T23:30-05:00"])
def test_parse_time_outside_the_calendar_is_refused_as_such(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal, DAMASCUS)
    assert "outside Chrono's calendar" in str(e.value)


@pytest.mark.parametrize(("literal", "zone"), [("9999", "UTC"), ("9999-12-31", "UTC"), ("9999-12", "America/New_York"), ("9999~", DAMASCUS)])
def test_parse_the_calendars_last_days_end_at_its_edge(literal, zone):
    v = parse_valid_time(literal, zone)
    assert (None, "bounded", CALENDAR_HI) == (v.latest, v.end, v.hi)


def test_parse_the_calendars_last_days_east_of_utc_end_before_its_edge():
    v = parse_valid_time("9999-12-31", DAMASCUS)
    assert (utc(9999, 12, 30, 21), utc(9999, 12, 31, 21)) == bounds(v)


def test_parse_the_calendars_first_day_east_of_utc_is_cut_at_its_edge():
    # The local day began before the calendar's first instant: nothing can be asked before it, so the cut changes no answer.
    v = parse_valid_time("0001-01-01", DAMASCUS)
    assert (datetime.min.replace(tzinfo=UTC), CALENDAR_LO, "bounded") == (v.earliest, v.lo, v.start)


# --- open and unknown ends --------------------------------------------------------------------------------


@pytest.mark.parametrize(("literal", "kind"), [("2024-12-07/..", "open"), ("2024-12-07/", "unknown")])
def test_parse_end_that_is_not_bounded_is_a_kind_not_a_date(literal, kind):
    v = parse_valid_time(literal, DAMASCUS)
    assert (utc(2024, 12, 6, 21), None) == bounds(v)
    assert ("bounded", kind) == (v.start, v.end)
    assert CALENDAR_HI == v.hi


@pytest.mark.parametrize(("literal", "kind"), [("../2024-12-07", "open"), ("/2024-12-07", "unknown")])
def test_parse_start_that_is_not_bounded_is_a_kind_not_a_date(literal, kind):
    v = parse_valid_time(literal, DAMASCUS)
    assert (None, utc(2024, 12, 7, 21)) == bounds(v)
    assert (kind, "bounded") == (v.start, v.end)
    assert CALENDAR_LO == v.lo


def test_parse_instant_at_the_end_of_a_half_open_interval_closes_it():
    v = parse_valid_time("../2024-12-07T21:30", DAMASCUS)
    assert utc(2024, 12, 7, 18, 30) == v.latest


def test_parse_open_interval_takes_the_zone_of_its_bounded_end():
    assert "UTC" == parse_valid_time("../2024-12-07T21:30Z", DAMASCUS).zone


def test_calendar_edges_fit_the_cache_coded_indexes():
    from projections.cache.schema import HALF

    assert -HALF < CALENDAR_LO < CALENDAR_HI < HALF
    assert to_micros(datetime.min.replace(tzinfo=UTC)) == CALENDAR_LO
    assert to_micros(datetime.max.replace(tzinfo=UTC)) + 1 == CALENDAR_HI


def test_from_micros_of_the_calendars_end_is_none():
    assert from_micros(CALENDAR_HI) is None
    assert from_micros(CALENDAR_HI - 1) == datetime.max.replace(tzinfo=UTC)
    with pytest.raises(OverflowError):
        from_micros(CALENDAR_HI + 1)


def test_parse_instant_refuses_a_literal_without_a_first_instant():
    with pytest.raises(TimeLiteralError) as e:
        parse_instant("../2024-12-07", DAMASCUS)
    assert "open start" in str(e.value)


# --- qualifiers through intervals ---------------------------------------------------------------------------


def test_parse_interval_keeps_each_ends_qualifier():
    v = parse_valid_time("1984?/2004%")
    assert ("uncertain", "uncertain-approximate") == v.qualifiers
    assert "uncertain-approximate" == v.qualifier
    assert (utc(1984, 1, 1), utc(2006, 1, 1)) == bounds(v)


def test_parse_interval_without_qualifiers_has_no_pair():
    assert parse_valid_time("2024-12-05/2024-12-06").qualifiers is None


def test_parse_interval_qualified_at_the_end_only_keeps_it_there():
    v = parse_valid_time("2024-12-05/2024-12-06~", DAMASCUS)
    assert ((None, "approximate"), "approximate") == (v.qualifiers, v.qualifier)
    assert (utc(2024, 12, 4, 21), utc(2024, 12, 7, 21)) == bounds(v)


@pytest.mark.parametrize("literal", ["1984~/1983", "2004-06-11~/2004-06-10", "2004-06-11%/2004-06-10", "2004-07~/2004-06"])
def test_parse_interval_order_is_checked_before_widening(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal)
    assert "ends before it starts" in str(e.value)


def test_parse_interval_whose_widened_ends_overlap_is_kept():
    v = parse_valid_time("2004-06-10/2004-06-10~")
    assert (utc(2004, 6, 10), utc(2004, 6, 12)) == bounds(v)


# --- offsets, unspecified digits, seasons, sets ------------------------------------------------------------


@pytest.mark.parametrize(("literal", "start"), [("1985-04-12T23:20:30-04", utc(1985, 4, 13, 3, 20, 30)),
                                                ("1985-04-12T23:20+05", utc(1985, 4, 12, 18, 20)),
                                                ("1985-04-12T23-04", utc(1985, 4, 13, 3))])
def test_parse_offset_in_hours_only(literal, start):
    assert start == parse_valid_time(literal, DAMASCUS).earliest


def test_parse_unspecified_digits_cover_every_date_they_may_be_in_the_local_zone():
    v = parse_valid_time("201X", DAMASCUS)
    assert (utc(2009, 12, 31, 22), utc(2019, 12, 31, 22)) == bounds(v)
    assert ("interval", "201X") == (v.precision, v.edtf)


def test_parse_unspecified_day_covers_only_the_real_days():
    assert (utc(2023, 2, 10), utc(2023, 3, 1)) == bounds(parse_valid_time("2023-02-1X/2023-02-2X"))
    assert (utc(2020, 2, 29), utc(2028, 3, 1)) == bounds(parse_valid_time("202X-02-29"))


@pytest.mark.parametrize("literal", ["2004-02-3X", "XXXX-02-30", "2004-13-XX", "2004-1X-32"])
def test_parse_unspecified_digits_matching_no_real_date_are_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal)
    assert "not a real date" in str(e.value)


def test_parse_approximate_unspecified_digits_widen_by_the_unit_of_their_digits():
    assert (utc(1985, 3, 31), utc(1985, 5, 2)) == bounds(parse_valid_time("1985-04-XX~"))
    assert (utc(2009, 1, 1), utc(2021, 1, 1)) == bounds(parse_valid_time("201X~"))


@pytest.mark.parametrize(("literal", "first", "after"), [
    ("2001-21", utc(2001, 3, 1), utc(2001, 6, 1)), ("2001-22", utc(2001, 6, 1), utc(2001, 9, 1)),
    ("2001-23", utc(2001, 9, 1), utc(2001, 12, 1)), ("2001-24", utc(2001, 12, 1), utc(2002, 3, 1)),
    ("2001-29", utc(2001, 9, 1), utc(2001, 12, 1)), ("2001-30", utc(2001, 12, 1), utc(2002, 3, 1)),
    ("2001-34", utc(2001, 4, 1), utc(2001, 7, 1)), ("2001-38", utc(2001, 5, 1), utc(2001, 9, 1)),
    ("2001-41", utc(2001, 7, 1), utc(2002, 1, 1)),
])
def test_parse_season_is_its_months(literal, first, after):
    v = parse_valid_time(literal)
    assert (first, after) == bounds(v)
    assert literal == v.edtf


def test_parse_approximate_season_widens_by_a_month():
    assert (utc(2001, 2, 1), utc(2001, 7, 1)) == bounds(parse_valid_time("2001-21~"))


@pytest.mark.parametrize("literal", ["2001-20", "2001-42", "2001-21-05"])
def test_parse_month_out_of_range_that_is_no_season_is_refused(literal):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal)
    assert "not a real date" in str(e.value)


def test_parse_set_covers_its_members_and_keeps_them():
    v = parse_valid_time("[1667, 1668, 1670..1672]", DAMASCUS)
    assert ("[1667,1668,1670..1672]", "interval") == (v.edtf, v.precision)
    assert (parse_valid_time("1667", DAMASCUS).earliest, parse_valid_time("1672", DAMASCUS).latest) == bounds(v)


def test_parse_set_open_at_either_side_has_an_open_end():
    assert ("open", "bounded") == (parse_valid_time("[..1760-12-03]").start, parse_valid_time("[..1760-12-03]").end)
    assert ("bounded", "open") == (parse_valid_time("{1760-12..}").start, parse_valid_time("{1760-12..}").end)


def test_parse_set_keeps_its_members_qualifiers_together():
    assert "uncertain-approximate" == parse_valid_time("[1667?,1668~]").qualifier


@pytest.mark.parametrize("literal", ["[]", "[1667", "[1667}", "[1672..1670]", "[1667,..1670]", "[1667..]x", "[[1667]]", "[..]", "[1667,,1668]"])
def test_parse_malformed_set_is_refused(literal):
    with pytest.raises(TimeLiteralError):
        parse_valid_time(literal)


@pytest.mark.parametrize(("literal", "feature"), [
    ("Y-17E7", "an exponential year"), ("Y17E7", "an exponential year"), ("1950S2", "significant digits"),
    ("Y171010000S3", "significant digits"), ("2004?-06-11", "a qualifier on part of a date"),
    ("2004-06~-11", "a qualifier on part of a date"), ("?2004-06-~11", "a qualifier on part of a date"),
    ("2004-%06", "a qualifier on part of a date"),
])
def test_parse_level_2_forms_chrono_does_not_read_are_named(literal, feature):
    with pytest.raises(TimeLiteralError) as e:
        parse_valid_time(literal)
    assert feature in str(e.value) and "EDTF level 2" in str(e.value)


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


@pytest.mark.parametrize(
    ("literal", "reading"),
    [
        ("2024-12-07/..", "from 07 Dec 2024 to an open end"),
        ("2024-12-07/", "from 07 Dec 2024 to an unknown end"),
        ("../2024-12-07", "from an open start to 07 Dec 2024"),
        ("/2024-12-07T21:30", "from an unknown start to 21:30 on 07 Dec 2024"),
        ("2024-12-07T21:30/..", "from 21:30 on 07 Dec 2024 to an open end"),
        ("2024-12-05?/..", "from 05 Dec 2024 to an open end?"),
        ("201X", "sometime between 01 Jan 2010 and 31 Dec 2019 (201X)"),
        ("2024-21", "sometime between 01 Mar and 31 May 2024 (2024-21)"),
        ("[2023,2024-12..]", "from 01 Jan 2023 to an open end ([2023,2024-12..])"),
        ("9999", "sometime in 9999"),
        ("2024/9999", "sometime between 01 Jan 2024 and 31 Dec 9999"),
    ],
)
def test_describe_says_open_unknown_and_the_edtf_kept(literal, reading):
    assert reading == parse_valid_time(literal, DAMASCUS).describe()


def test_describe_never_names_the_calendars_edges_for_an_end_that_is_not_bounded():
    for literal in ("../2024", "/2024", "2024/..", "2024/", "[..2024]", "{2024..}"):
        reading = parse_valid_time(literal, DAMASCUS).describe()
        assert " 1 " not in reading and "0001" not in reading and "9999" not in reading


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


def test_valid_time_has_an_earliest_bound_exactly_when_its_start_is_bounded():
    with pytest.raises(ValueError):
        ValidTime(earliest=None, latest=utc(2024, 12, 8))
    with pytest.raises(ValueError):
        ValidTime(earliest=utc(2024, 12, 7), latest=utc(2024, 12, 8), start="open")
    with pytest.raises(ValueError):
        ValidTime(earliest=utc(2024, 12, 7), latest=utc(2024, 12, 8), end="unknown")
    assert CALENDAR_LO == ValidTime(earliest=None, latest=utc(2024, 12, 8), start="unknown").lo


def test_valid_time_needs_a_bounded_end():
    with pytest.raises(ValueError):
        ValidTime(earliest=None, latest=None, start="open", end="unknown")


def test_valid_time_refuses_an_end_kind_it_does_not_know():
    with pytest.raises(ValueError):
        ValidTime(earliest=utc(2024, 12, 7), latest=None, end="ongoing")


def test_valid_time_qualifier_must_be_its_ends_together():
    with pytest.raises(ValueError):
        ValidTime(earliest=utc(2024, 12, 7), latest=utc(2024, 12, 8), qualifier="uncertain", qualifiers=("approximate", None))
    with pytest.raises(ValueError):
        ValidTime(earliest=utc(2024, 12, 7), latest=utc(2024, 12, 8), qualifiers=(None, None))
    v = ValidTime(earliest=utc(2024, 12, 7), latest=utc(2024, 12, 8), qualifier="uncertain-approximate", qualifiers=["uncertain", "approximate"])
    assert ("uncertain", "approximate") == v.qualifiers


def test_valid_time_without_the_new_fields_equals_a_parsed_one():
    # A time read from a log written before ends had kinds is the time parsed from its literal today.
    old = ValidTime(earliest=utc(2024, 12, 4, 21), latest=utc(2024, 12, 5, 21), precision="day", zone=DAMASCUS)
    assert old == parse_valid_time("2024-12-05", DAMASCUS)
