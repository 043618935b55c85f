"""PostgreSQL ends every connection (what a restart or a failover does to the web processes) in the
middle of a rush: requests in flight fail cleanly with the retry page, the next ones succeed, and no
application is half-written or doubled."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

PLACES = 10
HOUSEHOLDS = 60


def terminate_backends(shape, stop: threading.Event, ended: list) -> None:
    """What a restart or a failover does to the web processes: every connection ends, a few times
    over a few seconds while the rush is on."""
    name = shape.database_url.rsplit("/", 1)[1]
    time.sleep(0.5)
    for _ in range(8):
        if stop.is_set():
            return
        rows = shape.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        ended.append(len(rows))
        time.sleep(0.4)


def test_connections_ended_mid_rush_give_retry_pages_and_nothing_half_written(shape):
    setup = shape.households(PLACES, HOUSEHOLDS)
    answers: dict[int, list[tuple[int, str]]] = {}
    stop, ended = threading.Event(), []
    killer = threading.Thread(target=terminate_backends, args=(shape, stop, ended))

    def household(index: int) -> None:
        person = setup["households"][index]
        tries = answers.setdefault(index, [])
        for _ in range(30):  # as a person would: send again after the retry page
            status, location, body = shape.apply(setup, person)
            tries.append((status, location))
            if status == 302:
                return
            assert status == 503, (status, body[:300])
            assert "もう一度" in body  # the retry page, in Japanese
            time.sleep(0.5)

    killer.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(household, range(HOUSEHOLDS)))
    finally:
        stop.set()
        killer.join()

    statuses = Counter(status for tries in answers.values() for status, _ in tries)
    assert sum(ended) > 0, "no connection was ended: the test proved nothing"
    assert statuses[503] > 0, f"no request was caught in flight: {statuses}"
    assert set(statuses) <= {302, 503}, statuses  # never a 500, never a broken connection
    # Everyone got through in the end, to their own application's page.
    last = {i: tries[-1] for i, tries in answers.items()}
    assert all(s == 302 and "/events/mine/" in loc for s, loc in last.values()), last

    rows = shape.applications(setup["event"])
    per_household = Counter(household for household, _, _ in rows)
    assert len(per_household) == HOUSEHOLDS and set(per_household.values()) == {1}
    statuses_stored = Counter(status for _, status, _ in rows)
    assert statuses_stored["confirmed"] == PLACES
    numbers = sorted(n for _, status, n in rows if status == "waitlisted")
    assert numbers == list(range(1, HOUSEHOLDS - PLACES + 1))
    # Nothing half-written: every application has the child it was sent with, and the stored
    # count of places taken agrees with the rows.
    orphans = shape.sql(
        "SELECT count(*) FROM events_application a WHERE a.event_id = %s AND NOT EXISTS "
        "(SELECT 1 FROM events_application_children c WHERE c.application_id = a.id)",
        [setup["event"]],
    )
    assert orphans == [(0,)]
    # And the site answers normally again.
    assert all(shape.apply(setup, setup["households"][0])[0] == 302 for _ in range(3))
