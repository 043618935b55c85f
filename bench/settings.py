"""Settings for bench/events_rush.py: the site's own settings, plus a bare view for the baseline
(bench/events_urls.py). Nothing here is used outside the benchmark."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.events_urls"
