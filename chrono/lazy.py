"""Names a package loads on first use (PEP 562), so that importing a small part of it stays cheap.

Public for every layer's packages (`chrono`, `projections`, `projections.pictures` use it): a package
sets `__getattr__ = lazy_names(__name__, {"Name": "submodule", ...})` and may rely on each listed name
being imported from its submodule on first access, and on AttributeError for any other name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each name in `exports` comes from the submodule it names."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
