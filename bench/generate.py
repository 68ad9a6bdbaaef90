"""A deterministic, seeded generator of realistic synthetic chronologies in Chrono's JSON Lines format.

    python bench/generate.py 100k --out /tmp/chrono-bench/100k.jsonl      # or 10k, 1m, or a plain number
    python bench/generate.py 1m --seed 7 --out big.jsonl --stats

What it writes, one event per line, in the form `chrono import` reads (see the README):

* the gazetteer first: ~50 actors (`ActorDescribed`), up to ~10,000 places (`PlaceDescribed`, with
  coordinates in and around Syria, most `within` one of 14 governorates) and up to ~20,000 people
  (`PersonDescribed`, most affiliated with an actor). Small logs get proportionally fewer places and
  people (a 10k log cannot describe 30,000 entities): places = min(10,000, n/10), people = min(20,000, n/5).
* then facts: `ControlChanged`, `PersonMoved`, `CallMade`, `MeetingHeld`, `StatementIssued`, plus a few
  `AirstrikeCarriedOut`, `PersonLocated`, `IncidentReported`, `PersonAppointed`, `OrderIssued`;
* ~2% corrections: `EventCorrected` (~1.2%, the replacement has the target's type and a shifted time)
  and `EventRetracted` (~0.8%), each targeting an earlier, not yet corrected fact.

Valid times are a mix of minute (`2019-03-04T10:15`), hour (`2019-03-04T10`), day (`2019-03-04`)
literals and explicit intervals (`2019-03-04T10:00/2019-03-05T02:00`), in the log's zone
(Asia/Damascus: create the log with that zone) or, for ~20%, in UTC (`{"literal": ..., "zone": "UTC"}`),
over the ten years 2015-2024. Each line carries a `recorded` time that grows along the file (so
`--as-of` has a history to travel through), while the valid time trails it by a random reporting lag
(hours to, rarely, years) — so the file is NOT in valid-time order.

Entity popularity is Zipf-like (s = 1.0) but capped: no single entity is drawn for more than 0.2% of
the references of its kind, which keeps every entity under ~0.5% of all events.

Memory is bounded: lines are streamed to disk; the only state kept is the entity tables and a
fixed-size pool of recent facts that corrections may target. The same seed and size give the same
bytes.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
ZONE = "Asia/Damascus"
START = datetime(2015, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = (END - START).total_seconds()
CAP = 0.002  # largest share of a kind's references any one entity may get

GOVERNORATES = (
    "damascus", "rif-dimashq", "aleppo", "homs", "hama", "idlib", "latakia", "tartus", "deir-ez-zor",
    "raqqa", "hasakah", "daraa", "suwayda", "quneitra",
)
PLACE_KINDS = ("city", "town", "village", "village", "village", "district", "military-site", "border-crossing",
               "bridge", "building", "camp", "area", "airbase", "mountain")
ACTOR_KINDS = ("faction", "government", "state", "coalition", "organisation", "militia")
SYLLABLES = ("al", "ab", "ba", "da", "far", "ha", "jab", "kar", "ma", "na", "qa", "ra", "sa", "ta", "wa", "za",
             "bir", "deir", "tal", "kafr", "ain", "khan", "ras", "jis", "mar", "nub", "sur", "um", "zab", "hur")
FIRST = ("ahmad", "ali", "omar", "hassan", "khaled", "maher", "rami", "samir", "yusuf", "ibrahim", "fatima",
         "layla", "mariam", "nour", "rana", "huda", "bashar", "fadi", "ziad", "walid", "hadi", "salma", "dina")
LAST = ("haddad", "khoury", "nasser", "saleh", "hamdan", "darwish", "halabi", "shami", "masri", "kurdi",
        "othman", "yassin", "zein", "bakr", "sabbagh", "attar", "najjar", "mansour", "qassem", "jaber")
ROLES = ("commander", "spokesman", "minister", "governor", "mayor", "envoy", "negotiator", "journalist", "doctor")
OUTLETS = ("Al Majalla", "Reuters", "AFP", "AP", "Enab Baladi", "Syrian Observatory", "SANA", "Al Jazeera",
           "BBC", "The Guardian", "Asharq Al-Awsat", "North Press")
STATEMENT_KINDS = ("statement", "claim", "promise", "plan", "prediction", "denial", "warning", "threat", "rumour",
                   "assessment", "report", "request", "reassurance", "appeal")
HOWS = ("held", "captured", "entered", "surrendered", "withdrawn", "contested", "handed-over", "secured")
MODES = ("car", "convoy", "plane", "helicopter", "on foot", None, None)
VERBS = ("said", "warned", "announced", "claimed", "denied", "insisted", "promised", "reported")
TOPICS = ("the ceasefire", "the offensive", "prisoner exchange", "humanitarian corridor", "the negotiations",
          "reconstruction", "the elections", "the border crossing", "refugee returns", "fuel supplies")

# (type, weight) for the facts; corrections are drawn separately.
FACT_MIX = (
    ("PersonMoved", 24), ("StatementIssued", 20), ("ControlChanged", 15), ("CallMade", 14), ("MeetingHeld", 10),
    ("AirstrikeCarriedOut", 6), ("PersonLocated", 5), ("IncidentReported", 4), ("PersonAppointed", 1),
    ("OrderIssued", 1),
)
CORRECTED, RETRACTED = 0.012, 0.008
POOL = 4096  # recent facts a correction may target


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text in SIZES:
        return SIZES[text]
    mult = 1
    if text.endswith("k"):
        text, mult = text[:-1], 1_000
    elif text.endswith("m"):
        text, mult = text[:-1], 1_000_000
    return int(float(text) * mult)


def label(n: int) -> str:
    for k, v in SIZES.items():
        if v == n:
            return k
    return str(n)


def entity_counts(n: int) -> tuple[int, int, int]:
    """(actors, places, people) for a log of n events."""
    return 50, max(100, min(10_000, n // 10)), max(200, min(20_000, n // 5))


class Zipf:
    """Draw ranks 0..n-1 with weight 1/(r+1)^s, each share capped at `cap` (the excess spread over the rest)."""

    def __init__(self, n: int, rng: random.Random, s: float = 1.0, cap: float = CAP):
        cap = max(cap, 1.0 / n)
        shares = [1.0 / (r + 1) ** s for r in range(n)]
        total = sum(shares)
        shares = [w / total for w in shares]
        # Water-filling: clip the heaviest to the cap and spread what they lose over the rest, in proportion,
        # until nothing is over the cap. Ranks are in decreasing weight, so the capped ones are a prefix.
        k = 0
        while k < n and shares[k] > cap * (1 + 1e-12):
            k = sum(1 for x in shares if x > cap * (1 + 1e-12)) or k
            rest = sum(shares[k:])
            scale = (1.0 - k * cap) / rest
            shares = [cap] * k + [x * scale for x in shares[k:]]
        self.cum = list(itertools.accumulate(shares))
        self.rng = rng
        # Ranks are shuffled onto ids so the popular entities are not simply the first described.
        self.perm = list(range(n))
        rng.shuffle(self.perm)

    def draw(self) -> int:
        return self.perm[min(bisect.bisect_left(self.cum, self.rng.random() * self.cum[-1]), len(self.cum) - 1)]


class Generator:
    def __init__(self, n: int, seed: int = 2024):
        self.n = n
        self.rng = random.Random(seed)
        na, npl, npe = entity_counts(n)
        rng = self.rng
        self.actors = [f"actor-{i:02d}" for i in range(na)]
        self.places = [f"place-{i:05d}" for i in range(npl)]
        self.people = [f"person-{i:05d}" for i in range(npe)]
        self.pick_actor = Zipf(na, rng, s=0.8, cap=0.08)  # 50 actors: a few big ones, none above 8% of actor refs
        self.pick_place = Zipf(npl, rng)
        self.pick_person = Zipf(npe, rng)
        self.pool: list[tuple[str, str, dict]] = []  # (id, type, event) of recent uncorrected facts
        self.counts: Counter = Counter()
        self.mentions: Counter = Counter()
        self.seq = 0

    # --- helpers ------------------------------------------------------------------------------

    def actor(self) -> str:
        return self.actors[self.pick_actor.draw()]

    def place(self) -> str:
        return self.places[self.pick_place.draw()]

    def person(self) -> str:
        return self.people[self.pick_person.draw()]

    def name(self, parts: int = 2) -> str:
        return " ".join(self.rng.choice(SYLLABLES).capitalize() + self.rng.choice(SYLLABLES) for _ in range(parts))

    def sources(self) -> list[dict]:
        rng = self.rng
        out = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            outlet = rng.choice(OUTLETS)
            src = {"outlet": outlet, "attribution": outlet if rng.random() < 0.7 else f"{rng.choice(ROLES)} quoted by {outlet}"}
            if rng.random() < 0.6:
                src["quote"] = f"{rng.choice(VERBS)} on {rng.choice(TOPICS)} ({rng.randrange(10**6)})"
            if rng.random() < 0.2:
                src["url"] = f"https://example.org/{outlet.lower().replace(' ', '-')}/{rng.randrange(10**9)}"
            out.append(src)
        return out

    def recorded(self, i: int) -> datetime:
        # Recorded time grows along the file, from START to END, a second apart at the least.
        return START + timedelta(seconds=max(i, SPAN * i / max(self.n, 1)))

    def valid(self, recorded: datetime) -> dict | str:
        """A valid time trailing the recorded time by a reporting lag: minutes-to-days mostly, rarely years."""
        rng = self.rng
        r = rng.random()
        if r < 0.70:
            lag = rng.expovariate(1 / 6.0)  # hours
        elif r < 0.95:
            lag = rng.uniform(24, 24 * 60)
        else:
            lag = rng.uniform(24 * 60, 24 * 365 * 2)
        when = recorded - timedelta(hours=lag)
        if when < START:
            when = START + timedelta(hours=rng.uniform(0, 24 * 30))
        utc = rng.random() < 0.2
        local = when if utc else when.astimezone(_damascus())
        p = rng.random()
        if p < 0.40:
            literal = f"{local:%Y-%m-%dT%H:%M}"
        elif p < 0.65:
            literal = f"{local:%Y-%m-%dT%H}"
        elif p < 0.90:
            literal = f"{local:%Y-%m-%d}"
        else:
            start = local.replace(minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0)
            end = start + timedelta(minutes=rng.choice((60, 120, 360, 720, 960, 1440, 2880, 4320)))
            literal = f"{start:%Y-%m-%dT%H:%M}/{end:%Y-%m-%dT%H:%M}"
            if rng.random() < 0.3:
                literal = f"{start:%Y-%m-%d}/{end:%Y-%m-%d}"
        if utc:
            return {"literal": literal, "zone": "UTC"}
        if rng.random() < 0.1:
            return {"literal": literal, "wording": rng.choice(("that night", "around midday", "early on", "by the evening"))}
        return literal

    def line(self, obj: dict) -> bytes:
        self.seq += 1
        obj["recorded"] = self.recorded(self.seq).isoformat()
        self.counts[obj["type"]] += 1
        return orjson.dumps(obj) + b"\n"

    # --- the gazetteer ------------------------------------------------------------------------

    def describe(self):
        rng = self.rng
        for i, a in enumerate(self.actors):
            ev = {"actor": a, "name": f"{self.name(2)} {rng.choice(('Front', 'Brigades', 'Council', 'Movement', 'Army', 'Forces'))}",
                  "kind": ACTOR_KINDS[i % len(ACTOR_KINDS)], "aliases": [f"A{i:02d}"]}
            yield self.line({"id": f"desc:{a}", "type": "ActorDescribed", "event": ev, "sources": self.sources()})
        govs = self.places[: len(GOVERNORATES)]
        for i, p in enumerate(self.places):
            ev = {"place": p, "name": GOVERNORATES[i].title() if i < len(GOVERNORATES) else self.name(rng.choice((1, 2))),
                  "kind": "governorate" if i < len(GOVERNORATES) else rng.choice(PLACE_KINDS),
                  "lat": round(rng.uniform(32.3, 37.3), 4), "lon": round(rng.uniform(35.6, 42.4), 4),
                  "aliases": [self.name(1)] if rng.random() < 0.3 else []}
            if i >= len(GOVERNORATES) and rng.random() < 0.9:
                ev["within"] = rng.choice(govs)
            yield self.line({"id": f"desc:{p}", "type": "PlaceDescribed", "event": ev, "sources": self.sources()})
        for p in self.people:
            ev = {"person": p, "name": f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}",
                  "aliases": [rng.choice(FIRST).title()] if rng.random() < 0.2 else [],
                  "roles": [rng.choice(ROLES)] if rng.random() < 0.5 else []}
            if rng.random() < 0.7:
                ev["affiliation"] = self.actor()
            yield self.line({"id": f"desc:{p}", "type": "PersonDescribed", "event": ev, "sources": self.sources()})

    # --- facts --------------------------------------------------------------------------------

    def fact_event(self, kind: str) -> dict:
        rng = self.rng
        if kind == "PersonMoved":
            ev = {"person": self.person(), "to_place": self.place()}
            if rng.random() < 0.6:
                ev["from_place"] = self.place()
            if rng.random() < 0.15:
                ev["companions"] = [self.person() for _ in range(rng.randint(1, 3))]
            mode = rng.choice(MODES)
            if mode:
                ev["mode"] = mode
        elif kind == "StatementIssued":
            ev = {"text": f"{rng.choice(VERBS).capitalize()} that {rng.choice(TOPICS)} {rng.choice(('would hold', 'had collapsed', 'was under way', 'was a lie', 'must continue'))} (#{rng.randrange(10**6)})",
                  "kind": rng.choice(STATEMENT_KINDS), "about": [self.place()] if rng.random() < 0.5 else []}
            if rng.random() < 0.85:
                ev["speaker"] = self.person() if rng.random() < 0.7 else self.actor()
            else:
                ev["speaker_description"] = "a source in the operations room"
            if rng.random() < 0.2:
                ev["audience"] = [self.actor()]
        elif kind == "ControlChanged":
            ev = {"place": self.place(), "controller": self.actor() if rng.random() < 0.95 else None,
                  "how": rng.choice(HOWS)}
            if ev["how"] == "contested":
                ev["contested_with"] = [self.actor()]
            if rng.random() < 0.5:
                ev["previous"] = self.actor()
        elif kind == "CallMade":
            caller = self.person() if rng.random() < 0.8 else self.actor()
            callee = self.person()
            while callee == caller:
                callee = self.person()
            ev = {"caller": caller, "callee": callee}
            if rng.random() < 0.7:
                ev["summary"] = f"discussed {rng.choice(TOPICS)}"
        elif kind == "MeetingHeld":
            ev = {"participants": list(dict.fromkeys(self.person() for _ in range(rng.randint(2, 5)))),
                  "place": self.place(), "summary": f"met over {rng.choice(TOPICS)}"}
        elif kind == "AirstrikeCarriedOut":
            ev = {"actor": self.actor(), "target": self.place(), "count": rng.randint(1, 12),
                  "description": rng.choice(("strikes on a market", "raids on positions", "a drone strike", "barrel bombs"))}
        elif kind == "PersonLocated":
            ev = {"person": self.person(), "place": self.place()}
        elif kind == "IncidentReported":
            ev = {"description": f"{rng.choice(('documents burned', 'a checkpoint abandoned', 'a convoy stopped', 'a hotline reactivated'))} (#{rng.randrange(10**6)})",
                  "places": [self.place()], "actors": [self.actor()] if rng.random() < 0.5 else [],
                  "people": [self.person()] if rng.random() < 0.3 else []}
        elif kind == "PersonAppointed":
            ev = {"person": self.person(), "role": rng.choice(ROLES), "by": self.actor()}
        elif kind == "OrderIssued":
            ev = {"order": f"to {rng.choice(('hold', 'withdraw from', 'advance on', 'evacuate'))} {rng.choice(TOPICS)}",
                  "issuer": self.person(), "recipients": [self.actor()]}
        else:
            raise ValueError(kind)
        return ev

    def events(self):
        yield from self.describe()
        rng = self.rng
        kinds = [k for k, _ in FACT_MIX]
        cum = list(itertools.accumulate(w for _, w in FACT_MIX))
        total = cum[-1]
        n_fact = 0
        while self.seq < self.n:
            r = rng.random()
            if self.pool and r < CORRECTED + RETRACTED:
                j = rng.randrange(len(self.pool))
                target_id, target_type, target_ev = self.pool[j]
                self.pool[j] = self.pool[-1]
                self.pool.pop()
                if r < CORRECTED:
                    replacement = dict(target_ev)
                    replacement = {"type": target_type, **self._amend(target_type, replacement)}
                    recorded = self.recorded(self.seq + 1)
                    yield self.line({"id": f"{target_id}-corrected", "type": "EventCorrected", "valid": self.valid(recorded),
                                     "event": {"target": target_id, "reason": "a later report gives a different time and detail",
                                               "replacement": replacement},
                                     "sources": self.sources()})
                else:
                    yield self.line({"id": f"{target_id}-retracted", "type": "EventRetracted",
                                     "event": {"target": target_id, "reason": rng.choice(("duplicate", "the source withdrew it", "misattributed footage"))},
                                     "sources": self.sources()})
                continue
            kind = kinds[bisect.bisect_right(cum, rng.random() * total)]
            n_fact += 1
            event_id = f"ev-{n_fact:07d}"
            ev = self.fact_event(kind)
            recorded = self.recorded(self.seq + 1)
            obj = {"id": event_id, "type": kind, "valid": self.valid(recorded), "event": ev, "sources": self.sources()}
            if len(self.pool) < POOL:
                self.pool.append((event_id, kind, ev))
            else:
                self.pool[rng.randrange(POOL)] = (event_id, kind, ev)
            yield self.line(obj)

    def _amend(self, kind: str, ev: dict) -> dict:
        """A plausible correction of a fact: one field changed, the type kept."""
        rng = self.rng
        if kind in ("PersonMoved",):
            ev["to_place"] = self.place()
        elif kind in ("ControlChanged",):
            ev["controller"] = self.actor()
        elif kind in ("PersonLocated",):
            ev["place"] = self.place()
        elif kind == "StatementIssued":
            ev["kind"] = rng.choice(STATEMENT_KINDS)
        elif kind == "CallMade":
            ev["summary"] = f"discussed {rng.choice(TOPICS)} (corrected)"
        elif kind == "MeetingHeld":
            ev["place"] = self.place()
        elif kind == "AirstrikeCarriedOut":
            ev["count"] = rng.randint(1, 12)
        return ev


_DAMASCUS = None


def _damascus():
    global _DAMASCUS
    if _DAMASCUS is None:
        from zoneinfo import ZoneInfo

        _DAMASCUS = ZoneInfo(ZONE)
    return _DAMASCUS


def generate(n: int, out: str, *, seed: int = 2024) -> dict:
    """Write n events to `out` (atomically: a temporary file renamed at the end); returns statistics."""
    gen = Generator(n, seed)
    tmp = out + ".part"
    size = 0
    with open(tmp, "wb", buffering=1 << 20) as f:
        chunk: list[bytes] = []
        for line in gen.events():
            chunk.append(line)
            if len(chunk) >= 5000:
                data = b"".join(chunk)
                size += len(data)
                f.write(data)
                chunk.clear()
        data = b"".join(chunk)
        size += len(data)
        f.write(data)
    os.replace(tmp, out)
    na, npl, npe = entity_counts(n)
    return {"events": gen.seq, "bytes": size, "actors": na, "places": npl, "people": npe, "seed": seed,
            "types": dict(sorted(gen.counts.items())), "zone": ZONE}


def stats(path: str) -> dict:
    """Check a generated file: order, precisions, and how often the most mentioned entity appears."""
    mentions: Counter = Counter()
    out_of_order, last_lo, n = 0, None, 0
    forms: Counter = Counter()
    for raw in open(path, "rb"):
        obj = orjson.loads(raw)
        n += 1
        v = obj.get("valid")
        if v is not None:
            lit = v if isinstance(v, str) else v["literal"]
            forms["interval" if "/" in lit else {16: "minute", 13: "hour", 10: "day"}.get(len(lit), "other")] += 1
            lo = lit.split("/")[0][:16]
            if last_lo is not None and lo < last_lo:
                out_of_order += 1
            last_lo = lo
        if obj["type"].endswith("Described"):
            continue
        seen = set()
        for val in obj["event"].values():
            for x in (val if isinstance(val, list) else [val]):
                if isinstance(x, str) and x.startswith(("place-", "person-", "actor-")):
                    seen.add(x)
        mentions.update(seen)
    top = {}
    for kind in ("place", "person", "actor"):
        e, c = max(((e, c) for e, c in mentions.items() if e.startswith(kind + "-")), key=lambda x: x[1], default=("", 0))
        top[kind] = {"id": e, "events": c, "percent_of_all": round(100 * c / max(n, 1), 3)}
    return {"events": n, "precisions": dict(forms), "lines_earlier_than_previous": out_of_order,
            "most_mentioned": top}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("size", help="10k, 100k, 1m, or a number of events")
    ap.add_argument("--out", help="where to write (default: ./<size>.jsonl)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--stats", action="store_true", help="re-read the file and print its shape")
    a = ap.parse_args(argv)
    n = parse_size(a.size)
    out = a.out or f"{label(n)}.jsonl"
    info = generate(n, out, seed=a.seed)
    print(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode())
    if a.stats:
        print(orjson.dumps(stats(out), option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
