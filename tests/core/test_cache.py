"""The Redis cache (kosodate.core.cache): one redis-py client per connection pool, not one per
operation. Runs in make test's PostgreSQL leg, which always has Redis (REDIS_URL)."""

import pytest
from django.core.cache import caches

from kosodate.core.cache import RedisCache

pytestmark = pytest.mark.postgres


def test_the_cache_is_redis_and_reuses_its_client():
    cache = caches["default"]
    assert isinstance(cache, RedisCache), "the PostgreSQL leg runs with REDIS_URL set"
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client(write=False) is client  # one server: reads use the same pool
    cache.set("kosodate-test-key", {"値": 1}, 30)
    assert cache.get("kosodate-test-key") == {"値": 1}
    assert cache.add("kosodate-test-counter", 1)
    assert cache.incr("kosodate-test-counter") == 2
    cache.delete_many(["kosodate-test-key", "kosodate-test-counter"])
    assert cache.get("kosodate-test-key") is None


@pytest.mark.django_db
def test_cached_rules_fail_open_while_redis_is_unreachable(monkeypatch, client, municipality):
    """The rows cached for a minute are read from the database while Redis is down: the public
    pages are served (tests/faults/test_redis.py shows it with the server really down)."""
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    from kosodate.core import selectors

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "get", unreachable)
    monkeypatch.setattr(cache, "set", unreachable)
    assert selectors.municipality_get().name == municipality.name
    assert selectors.maintenance_active() is None
    assert client.get("/").status_code == 200
