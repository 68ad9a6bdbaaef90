"""Pictures and exports: maps of control, the slider and timeline pages, CSV/GeoJSON/TimelineJS."""

from __future__ import annotations
