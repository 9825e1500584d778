"""Jobgate's Python client, standard library only.

    from jobgate import Client
    client = Client("http://127.0.0.1:8080", key="jg_...")
    job = client.submit("demo", {"ms": 500}, idempotency_key="order-42")
    done = client.wait(job["id"], on_event=print)
"""

from .client import Client
from .errors import (
    ApiError,
    is_conflict,
    is_not_found,
    is_rate_limited,
    is_unavailable,
)
from .sse import parse_sse

__all__ = [
    "ApiError",
    "Client",
    "is_conflict",
    "is_not_found",
    "is_rate_limited",
    "is_unavailable",
    "parse_sse",
]
