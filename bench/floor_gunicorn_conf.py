"""gunicorn settings of the floor app: every setting of api.gunicorn_conf, none of its hooks.

The hooks (knowledge-base reload, metrics folder) belong to the recommender app; the floor has no state.
"""

from __future__ import annotations

import types

import api.gunicorn_conf as _recommender_conf

globals().update(
    {
        name: value
        for name, value in vars(_recommender_conf).items()
        if not name.startswith("_") and not callable(value) and not isinstance(value, types.ModuleType)
    }
)
