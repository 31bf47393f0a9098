"""Settings of `make bench-requests`: the project's, plus the bare endpoint's URLconf and a cache prefix of its own.

The cache prefix keeps the benchmark's keys (the relay kick, throttles) apart from a run sharing the same Redis.
"""

from ukbot.settings import *  # noqa: F403
from ukbot.settings import CACHES

ROOT_URLCONF = "bench.bench_urls"
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": "ukbot-bench"}}
