"""Settings for the rush benchmarks (bench/harness.py): the site's own settings, plus a bare view
for the baseline (bench/urls.py). Nothing here is used outside the benchmarks."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
