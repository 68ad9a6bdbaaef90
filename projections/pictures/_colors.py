"""Stable colours per actor: the same actor gets the same colour in every picture made from one log."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

NOBODY = "#d4d4d4"  # held by nobody we can name, or nothing known yet
UNKNOWN_ACTOR = "#9e9e9e"

# Colours readers of maps of the Syrian war will recognise, matched on words in an actor's id.
_CONVENTIONAL = (
    (("syrian-government", "regime", "assad-regime", "saa", "syrian-army", "syrian-arab-army", "government-forces"), "#d62728"),
    (("hts", "tahrir"), "#1b7837"),
    (("opposition", "opposition-factions", "fsa", "rebels"), "#26a69a"),
    (("sna", "national-army", "turkish-backed"), "#9ccc65"),
    (("sdf", "kurd", "ypg", "aanes"), "#f2c500"),
    (("isis", "islamic-state", "daesh"), "#212121"),
    (("israel", "idf"), "#1f78b4"),
    (("russia",), "#6a3d9a"),
    (("turkey", "turkiye"), "#00acc1"),
    (("iran", "irgc", "hezbollah"), "#ff7f0e"),
    (("southern", "south"), "#8c510a"),
    (("druze", "suwayda", "sweida"), "#e377c2"),
    (("united-states", "usa", "us-", "coalition"), "#0d2f6e"),
)
# The rest, chosen to stay apart from the conventional ones and from each other.
PALETTE = (
    "#17becf", "#bcbd22", "#9467bd", "#8c564b", "#e7298a", "#66a61e", "#a6761d", "#1b9e77",
    "#7570b3", "#d95f02", "#b15928", "#fb9a99", "#cab2d6", "#80b1d3", "#fdb462", "#b3de69",
)


def _conventional(actor: str) -> str | None:
    # Whole hyphen-separated words only: "salvation-government" is not the Syrian government.
    tokens = f"-{actor}-"
    for words, colour in _CONVENTIONAL:
        if actor in words:
            return colour
    for words, colour in _CONVENTIONAL:
        if any(f"-{w}-" in tokens for w in words):
            return colour
    return None


def actor_colors(actors: Iterable[str], chosen: dict[str, str] | None = None) -> dict[str, str]:
    """A colour for every actor id, decided by the whole set so two actors never share one while
    colours last: the colour the log sets for an actor (`chosen`, chrono.settings.actor_colours), else
    one of the palette's that no chosen one took. Depends only on the ids and the choices, never on the
    moment drawn, so maps at different times agree."""
    out: dict[str, str] = dict(chosen or {})
    taken: set[str] = set(out.values())
    rest = []
    # Exact matches claim their colour first, so "hts" wins green over "hts-interim-government".
    ordered = sorted(set(actors) - set(out), key=lambda a: (not any(a in words for words, _ in _CONVENTIONAL), a))
    for actor in ordered:
        colour = _conventional(actor)
        if colour and colour not in taken:
            out[actor] = colour
            taken.add(colour)
        else:
            rest.append(actor)
    for actor in rest:
        start = int(hashlib.sha256(actor.encode()).hexdigest(), 16) % len(PALETTE)
        for i in range(len(PALETTE)):
            colour = PALETTE[(start + i) % len(PALETTE)]
            if colour not in taken:
                break
        else:
            colour = PALETTE[start]
        out[actor] = colour
        taken.add(colour)
    return out


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour`."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"
