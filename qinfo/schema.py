"""OpenAPI schema generation settings (kept apart from qinfo.api to avoid an import cycle
with DRF's settings)."""

from __future__ import annotations

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """Names schema components after their full nesting, so the styleguide's nested
    `InputSerializer`/`OutputSerializer` classes of different APIs do not collide."""

    def get_serializer_name(self, serializer, direction):
        return serializer.__class__.__qualname__.replace(".", "")
