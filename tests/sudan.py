"""A second chronology, far from Syria: the fall of Wad Madani, Sudan, December 2023, with places that
have coordinates, so pictures and exports are tested on a region the bundled chronicle never touches.

It holds what the pictures must cope with: a crowd of places (Khartoum, Omdurman and Bahri; Wad Madani,
Hantoub and its bridge), places far apart that still belong on one map (Port Sudan, El Fasher, Jeddah),
one that does not (Abu Dhabi), whole countries, two background events long before the story, a vague
window, a contest, a claim, a correction and a retraction. Small test data, not a record of the war.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import parse_instant, parse_valid_time
from events import (
    ActorDescribed,
    ControlChanged,
    ControlObserved,
    EventCorrected,
    EventRetracted,
    ForcesWithdrew,
    IncidentReported,
    MeetingHeld,
    PersonDescribed,
    PersonLocated,
    PlaceDescribed,
    Source,
    StatementIssued,
)

ZONE = "Africa/Khartoum"
SAF, RSF = "saf", "rsf"
DABANGA = Source(outlet="Radio Dabanga", quote="the RSF entered Wad Madani")
TRIBUNE = Source(outlet="Sudan Tribune", attribution="a resident of Hantoub", quote="they crossed the bridge at Hantoub")

# Drawn on the main map (lon, lat); ABU_DHABI lies far from the rest and is listed beside it.
ON_THE_MAP = {"wad-madani", "hantoub", "hantoub-bridge", "rufaa", "khartoum", "omdurman", "bahri", "port-sudan", "el-fasher", "jeddah",
              "gezira", "khartoum-state"}
FAR = {"abu-dhabi"}
COUNTRIES = {"country-sudan", "country-saudi-arabia"}
CROWDS = ({"khartoum", "omdurman", "bahri", "khartoum-state"}, {"wad-madani", "hantoub", "hantoub-bridge"})


def v(literal: str, wording: str | None = None):
    return parse_valid_time(literal, ZONE, wording)


def at(literal: str) -> datetime:
    return parse_instant(literal, ZONE)


def _place(pid: str, name: str, kind: str, lat: float | None, lon: float | None, within: str | None = None) -> Draft:
    return Draft(event=PlaceDescribed(place=pid, name=name, kind=kind, lat=lat, lon=lon, within=within), id=f"d-{pid}")


GAZETTEER = [
    _place("country-sudan", "Sudan", "country", 15.6, 30.2),
    _place("country-saudi-arabia", "Saudi Arabia", "country", 24.0, 45.0),
    _place("gezira", "Gezira State", "governorate", 14.6, 33.3, "country-sudan"),
    _place("khartoum-state", "Khartoum State", "governorate", 15.55, 32.7, "country-sudan"),
    _place("wad-madani", "Wad Madani", "city", 14.4012, 33.5199, "gezira"),
    _place("hantoub", "Hantoub", "town", 14.383, 33.556, "gezira"),
    _place("hantoub-bridge", "Hantoub bridge", "bridge", 14.395, 33.538, "hantoub"),
    _place("rufaa", "Rufa'a", "town", 14.7667, 33.3667, "gezira"),
    _place("khartoum", "Khartoum", "city", 15.5007, 32.5599, "khartoum-state"),
    _place("omdurman", "Omdurman", "city", 15.6445, 32.4777, "khartoum-state"),
    _place("bahri", "Bahri (Khartoum North)", "city", 15.6406, 32.5517, "khartoum-state"),
    _place("port-sudan", "Port Sudan", "city", 19.6158, 37.2164, "country-sudan"),
    _place("el-fasher", "El Fasher", "city", 13.6279, 25.3494, "country-sudan"),
    _place("jeddah", "Jeddah", "city", 21.4858, 39.1925, "country-saudi-arabia"),
    _place("abu-dhabi", "Abu Dhabi", "city", 24.4539, 54.3773),
    _place("somewhere", "a village nobody located", "village", None, None, "gezira"),
    Draft(event=ActorDescribed(actor=SAF, name="Sudanese Armed Forces", kind="state"), id="d-saf"),
    Draft(event=ActorDescribed(actor=RSF, name="Rapid Support Forces", kind="militia"), id="d-rsf"),
    Draft(event=PersonDescribed(person="burhan", name="Abdel Fattah al-Burhan", affiliation=SAF), id="d-burhan"),
    Draft(event=PersonDescribed(person="hemedti", name="Mohamed Hamdan Dagalo (Hemedti)", affiliation=RSF), id="d-hemedti"),
]


def fact(event, literal: str, fid: str, *sources: Source, wording: str | None = None) -> Draft:
    return Draft(event=event, valid=v(literal, wording), sources=sources or (DABANGA,), id=fid)


FACTS = [
    fact(IncidentReported(description="Fighting breaks out in Khartoum", places=("khartoum",), actors=(SAF, RSF)), "2023-04-15", "war-begins"),
    fact(MeetingHeld(participants=(SAF, RSF), place="jeddah", summary="the Jeddah talks"), "2023-05", "jeddah-talks"),
    fact(ControlObserved(place="wad-madani", controller=SAF), "../2023-12-15", "saf-holds-madani"),
    fact(ControlObserved(place="port-sudan", controller=SAF), "2023-12", "saf-holds-port-sudan"),
    fact(ControlObserved(place="el-fasher", controller=SAF, contested_with=(RSF,)), "2023-12", "el-fasher-contested"),
    fact(ControlObserved(place="khartoum", controller=RSF), "2023-12", "rsf-holds-khartoum"),
    fact(ControlObserved(place="bahri", controller=RSF), "2023-12", "rsf-holds-bahri"),
    fact(ControlObserved(place="omdurman", controller=SAF, contested_with=(RSF,)), "2023-12", "omdurman-contested"),
    fact(ControlChanged(place="hantoub", controller=RSF, how="captured"), "2023-12-15", "rsf-takes-hantoub", TRIBUNE, wording="on Friday"),
    fact(ControlChanged(place="hantoub-bridge", controller=RSF, how="captured"), "2023-12-15", "rsf-takes-bridge", TRIBUNE),
    fact(ControlChanged(place="wad-madani", controller=SAF, how="contested", contested_with=(RSF,)), "2023-12-16", "madani-contested"),
    fact(ControlChanged(place="wad-madani", controller=RSF, how="captured"), "2023-12-17", "rsf-takes-madani", wording="on Sunday"),
    fact(ControlChanged(place="rufaa", controller=RSF, how="captured"), "2023-12-18", "rsf-takes-rufaa"),
    fact(ForcesWithdrew(actor=SAF, from_place="wad-madani"), "2023-12-19", "saf-leaves-madani"),
    fact(StatementIssued(text="The army has not withdrawn from Wad Madani", speaker=SAF, kind="denial", about=("wad-madani",)),
         "2023-12-19T10:00/2023-12-19T12:00", "saf-denies", wording="late on Tuesday morning"),
    fact(PersonLocated(person="burhan", place="port-sudan"), "2023-12-19", "burhan-in-port-sudan"),
    fact(PersonLocated(person="hemedti", place="khartoum"), "2023-12-18", "hemedti-in-khartoum"),
]
CORRECTIONS = [
    Draft(event=EventCorrected(target="rsf-takes-madani", replacement=ControlChanged(place="wad-madani", controller=RSF, how="captured"),
                               reason="the second report dates it to Monday or Tuesday"),
          valid=v("2023-12-18/2023-12-19", "by Tuesday"), sources=(DABANGA,), id="madani-redated"),
    Draft(event=EventRetracted(target="rsf-takes-rufaa", reason="a report about another Rufa'a"), id="rufaa-retracted"),
]
STANDING = [f.id for f in FACTS if f.id != "rsf-takes-rufaa"]  # the events as known now
RECORDED = datetime(2026, 1, 1, tzinfo=UTC)  # when the log learned its first entry; one second per entry


def make_log(path: str = ":memory:") -> Log:
    log = Log.create(path, zone=ZONE, clock=FixedClock(RECORDED, step=timedelta(seconds=1)))
    log.append(GAZETTEER)
    log.append(FACTS)
    log.append(CORRECTIONS)
    return log
