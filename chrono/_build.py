"""Code generated at run time: building frozen attrs instances by setting their slots directly, for
readers that have already made every value what the class's constructor would; and the one way every
generated function here is compiled, registered in linecache so that tracebacks, debuggers and
coverage show its source."""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable
from typing import Any


def generated(script: str, what: str, cls: type, ns: dict[str, Any]) -> dict[str, Any]:
    """Run `script` (the source of a function `what` generated for `cls`) in the namespace `ns` and
    return it. The source is registered in linecache under a readable file name, "<chrono generated
    reader events._types.CallMade>", made unique by a suffix ("-2", ...) when another source holds it
    (as attrs and cattrs name theirs): a traceback through the function shows the generated line."""
    base = f"<chrono generated {what} {cls.__module__}.{getattr(cls, '__qualname__', cls.__name__)}"
    filename, count = f"{base}>", 1
    while True:
        # (size, mtime, lines, name); an mtime of None keeps linecache.checkcache from dropping it.
        entry = (len(script), None, script.splitlines(True), filename)
        if linecache.cache.setdefault(filename, entry) == entry:
            break
        count += 1
        filename = f"{base}-{count}>"
    exec(compile(script, filename, "exec"), ns)
    return ns


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
    lines += [f"    set{i}(obj, v{i})  # {name}" for i, name in enumerate(names)]
    lines.append("    return obj")
    return generated("\n".join(lines) + "\n", "builder", cls, {"new": object.__new__, "cls": cls, **setters})["build"]
