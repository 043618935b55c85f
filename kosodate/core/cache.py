"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient.get_client() builds a new redis.Redis for every cache operation, and
building one fills a table of about 170 response callbacks: that cost more CPU than the command
itself, 4–6 times on every signed-in request (session, municipality, maintenance window, terms;
docs/benchmarks.md). A redis.Redis is a thin, thread-safe wrapper around its pool, so one per
pool is enough; Django keeps a cache backend per thread anyway. Hand-written because Django has no
option for it (the subclass changes only get_client)."""

from django.core.cache.backends import redis as django_redis


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
