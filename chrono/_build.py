"""Building frozen attrs instances by setting their slots directly, for readers that have already made
every value what the class's constructor would."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any


def builder(cls: type, names: tuple[str, ...]) -> Callable[..., Any] | None:
    """A function taking the values of `names` (every field of `cls`) in order and returning an instance
    with those slots set, without running the constructor: the caller answers for having done what the
    constructor would (validators, converters, defaults). None when a name is not a slot of `cls`."""
    setters = {}
    for i, name in enumerate(names):
        slot = cls.__dict__.get(name)
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        setters[f"set{i}"] = slot.__set__
    args = ", ".join(f"v{i}" for i in range(len(names)))
    lines = [f"def build({args}):", "    obj = new(cls)"]
    lines += [f"    set{i}(obj, v{i})" for i in range(len(names))]
    lines.append("    return obj")
    ns = {"new": object.__new__, "cls": cls, **setters}
    exec(compile("\n".join(lines), f"<chrono builder of {cls.__name__}>", "exec"), ns)
    return ns["build"]
