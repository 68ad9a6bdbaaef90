"""Hypothesis profiles: `fast` for local runs (default), `ci` for CI, `thorough` to hunt harder.

Choose one with HYPOTHESIS_PROFILE=fast|ci|thorough.
"""

import os

from hypothesis import HealthCheck, settings

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("fast", max_examples=30, **_common)
settings.register_profile("ci", max_examples=80, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
