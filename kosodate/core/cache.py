"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient.get_client() builds a new redis.Redis for every cache operation, and
building one fills a table of about 170 response callbacks: that cost more CPU than the command
itself, 4–6 times on every signed-in request (session, municipality, maintenance window, terms;
docs/benchmarks.md). A redis.Redis is a thin, thread-safe wrapper around its pool, so one per
pool is enough; Django keeps a cache backend per thread anyway. Hand-written because Django has no
option for it (the subclass changes only get_client)."""

import contextlib
import logging

from django.core.cache import cache
from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


# --- Reads that fail open ---------------------------------------------------------------------
# The rules and profile rows cached for a minute (the municipality, maintenance windows, the
# current terms, 一時預かり's rules) are copies of database rows. While Redis cannot be reached,
# these helpers answer "not cached" and store nothing, so the rows are read from the database and
# public pages are still served. Everything else that lives only in Redis fails closed: sessions
# (everyone is signed out), allauth's rate limits (signing in gets the retry page, never an
# unthrottled try). docs/operations.md, "When the database or Redis is unreachable".
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def cache_read(key: str):
    """cache.get(key), or None (a miss) while Redis is unreachable."""
    try:
        return cache.get(key)
    except UNREACHABLE as error:
        logger.warning("cache unreachable, reading %s from the database: %s", key, error)
        return None


def cache_write(key: str, value, timeout: int) -> None:
    """cache.set(), skipped while Redis is unreachable (the next read goes to the database)."""
    with contextlib.suppress(*UNREACHABLE):
        cache.set(key, value, timeout)
