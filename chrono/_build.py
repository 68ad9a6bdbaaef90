"""Code generated at run time: building frozen attrs instances by setting their slots directly, for
readers that have already made every value what the class's constructor would (`builder`) or that
trust the values to be valid (`trusted_init`); and the one way every generated function is compiled
(`generated`), registered in linecache so that tracebacks, debuggers and coverage show its source."""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable
from typing import Any

import attrs


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


def trusted_init(cls: type) -> Callable[[dict], Any] | None:
    """A function taking a dict of keyword arguments and returning what `cls(**kwargs)` returns, built
    the same way (every default and converter of the class, in field order) but with no validator
    run; None from it where the constructor would refuse the keys (one it does not take, or a required
    one missing). For values known to be valid already, such as the log reading back what it stored.

    None (no function) for a class whose constructor does more than its fields say: a pre- or
    post-init hook, a field outside __init__, an alias, a default or converter that takes self."""
    if not attrs.has(cls) or any(hasattr(cls, m) for m in ("__attrs_pre_init__", "__attrs_post_init__")):
        return None
    fields = attrs.fields(cls)
    ns: dict[str, Any] = {"new": object.__new__, "cls": cls, "names": frozenset(a.name for a in fields), "missing": _MISSING}
    lines = ["def init(p):", "    if not p.keys() <= names:", "        return None"]
    for i, a in enumerate(fields):
        slot = cls.__dict__.get(a.name)
        if not a.init or a.alias != a.name or not isinstance(slot, types.MemberDescriptorType):
            return None
        ns[f"set{i}"] = slot.__set__
        x = f"x{i}"
        if a.default is attrs.NOTHING:
            lines += [f"    {x} = p.get({a.name!r}, missing)", f"    if {x} is missing:", "        return None"]
        elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            if a.default.takes_self:
                return None
            ns[f"factory{i}"] = a.default.factory
            lines.append(f"    {x} = p[{a.name!r}] if {a.name!r} in p else factory{i}()")
        else:
            ns[f"default{i}"] = a.default
            lines.append(f"    {x} = p.get({a.name!r}, default{i})")
        converter = a.converter
        if isinstance(converter, _CONVERTER):
            if converter.takes_self or converter.takes_field:
                return None
            converter = converter.converter
        if converter is not None:
            ns[f"convert{i}"] = converter
            lines.append(f"    {x} = convert{i}({x})")
    lines.append("    obj = new(cls)")
    lines += [f"    set{i}(obj, x{i})  # {a.name}" for i, a in enumerate(fields)]
    lines.append("    return obj")
    return generated("\n".join(lines) + "\n", "trusted init", cls, ns)["init"]


_MISSING = object()
_CONVERTER = getattr(attrs, "Converter", ())  # (attrs 24.1 and later: a converter that may take self or the field)
