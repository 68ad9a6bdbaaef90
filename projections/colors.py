"""Which colour each actor gets, in every picture, page and terminal table: one rule of assignment over a
palette, so that actors shown together never share a colour while the palette lasts.

The default palette is Paul Tol's "muted" scheme (https://personal.sron.nl/~pault/), nine colours that
stay distinct under the common forms of colour blindness, then his "light" scheme for logs with more
actors than that. Who holds places is drawn together on every map, so holders are served first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

# Tol's muted scheme (its pale grey for "no data" left out: a place held by nobody is grey already).
SAFE = ("#cc6677", "#332288", "#ddcc77", "#117733", "#88ccee", "#882255", "#44aa99", "#999933", "#aa4499")
# Tol's light scheme, likewise without its grey: more colours, not all of them apart for every reader.
MORE = ("#77aadd", "#ee8866", "#eedd88", "#ffaabb", "#99ddff", "#44bb99", "#bbcc33", "#aaaa00")
PALETTE = (SAFE, MORE)


def assign(actors: Iterable[str], palette: Sequence[Sequence[T]], *, first: Iterable[str] = (),
           chosen: Mapping[str, T] | None = None) -> dict[str, T]:
    """A colour for every actor in `actors`: its `chosen` colour if it has one; otherwise a colour of
    `palette` (tiers of colours, the best first) that no other actor has. The actors in `first` (those
    drawn together) choose before the rest. Each takes the free colour of the first tier with one left,
    starting where its id hashes to, so an actor keeps its colour when others come and go; when every
    colour is taken, colours repeat. Depends only on the ids, never on the moment drawn, so every picture
    of one log agrees."""
    actors = set(actors)
    out = {a: c for a, c in (chosen or {}).items() if a in actors}
    taken = {_key(c) for c in out.values()}
    early = set(first) & actors
    for actor in sorted(actors - set(out), key=lambda a: (a not in early, a)):
        start = int(hashlib.sha256(actor.encode()).hexdigest(), 16)
        colour = next((tier[(start + i) % len(tier)] for tier in palette for i in range(len(tier))
                       if _key(tier[(start + i) % len(tier)]) not in taken), palette[0][start % len(palette[0])])
        out[actor] = colour
        taken.add(_key(colour))
    return out


def actor_colors(actors: Iterable[str], *, first: Iterable[str] = (), chosen: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour (`#rrggbb`) for every actor, from the colour-blind-safe palette (`assign`); `chosen`
    colours (the log's own) win."""
    return assign(actors, PALETTE, first=first, chosen=chosen)


def _key(colour):
    return colour.lower() if isinstance(colour, str) else colour
