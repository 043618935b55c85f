"""Redis restarts (it keeps nothing: sessions, rate limits and cached rules are gone): people are
signed out and sign in again; nothing else breaks. While it is down, requests that need it get the
retry page (never a 500), and signing in is refused: rate limits fail closed."""

from .shape import Browser


def test_a_redis_restart_signs_people_out_and_nothing_else_breaks(shape):
    setup = shape.households(places=5, count=2)
    hanako = Browser(shape)
    hanako.sign_in("hanako@example.jp")
    assert hanako.get("/mypage/")[0] == 200

    shape.redis.stop()
    down = [hanako.get("/mypage/"), hanako.get("/"), Browser(shape).get("/accounts/login/")]
    assert all(status in (302, 503) for status, _, _ in down), [s for s, _, _ in down]
    assert any(status == 503 and "もう一度" in body for status, _, body in down)
    status, _, _ = shape.apply(setup, setup["households"][0])
    assert status in (302, 503)  # the session cannot be read: sign-in page or retry page

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
