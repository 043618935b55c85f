"""Redis restarts (it keeps nothing: sessions, rate limits and cached rules are gone): people are
signed out and sign in again; nothing else breaks. While it is down, public reads fail OPEN (the
cached rules are read from the database, and reads have no rate limit: pages are served) and
signing in fails CLOSED (its rate limit cannot be counted: the translated retry page, never a 500
and never an unthrottled try). docs/operations.md, "When the database or Redis is unreachable"."""

from .shape import DEMO_PASSWORD, Browser


def test_a_redis_restart_signs_people_out_and_nothing_else_breaks(shape):
    setup = shape.households(places=5, count=2)
    hanako = Browser(shape)
    hanako.sign_in("hanako@example.jp")
    assert hanako.get("/mypage/")[0] == 200

    shape.redis.stop()
    # Public reads fail open: served, to a stranger and to the signed-out Hanako alike.
    stranger = Browser(shape)
    for path in ("/", "/events/", f"/events/{setup['event']}/", "/accounts/login/"):
        for person in (stranger, hanako):
            status, _, body = person.get(path)
            assert status == 200, (path, status, body[:300])
    assert "人気の親子講座" in stranger.get(f"/events/{setup['event']}/")[2]
    # The load balancer's check keeps the web processes in; monitoring's check reports Redis.
    assert stranger.get("/healthz/serving")[0] == 200
    status, _, body = stranger.get("/healthz")
    assert status == 503 and '"cache": {"ok": false' in body
    # Her session cannot be read: she is signed out, not shown an error.
    status, headers, _ = hanako.get("/mypage/")
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
    status, location, _ = shape.apply(setup, setup["households"][0])
    assert status == 302 and "/accounts/login/" in location
    # Signing in fails closed: the retry page, in Japanese, with Retry-After; never a 500.
    status, headers, body = stranger.post_form(
        "/accounts/login/", {"login": "hanako@example.jp", "password": DEMO_PASSWORD}
    )
    assert status == 503 and "もう一度" in body and headers.get("Retry-After") == "5", status

    shape.redis.start()
    status, headers, _ = hanako.get("/mypage/")
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
    hanako.sign_in("hanako@example.jp")
    assert hanako.get("/mypage/")[0] == 200
    assert hanako.get("/events/")[0] == 200
    # A household whose session was lost signs in again; here, one signed in afresh applies.
    fresh = shape.households(places=5, count=1)
    status, location, _ = shape.apply(fresh, fresh["households"][0])
    assert status == 302 and "/events/mine/" in location
    assert shape.get_json("/healthz")["status"] == "ok"
