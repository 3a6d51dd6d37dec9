"""JSON serializer for scrapy-redis's request queue (``SCHEDULER_SERIALIZER``).

scrapy-redis pickles requests by default; unpickling runs code chosen by whoever can write to
Redis. Requests become JSON here (bytes — headers, bodies — as base64).
"""

from __future__ import annotations

import json

from .items import _decode, _encode


def dumps(obj) -> str:
    return json.dumps(_encode(obj), ensure_ascii=False)


def loads(data):
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return _decode(json.loads(data))
