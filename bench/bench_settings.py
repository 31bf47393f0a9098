"""Settings of `make bench-requests`: the project's, plus the bare endpoint's URLconf and a cache prefix of its own.

The cache prefix keeps the benchmark's keys (the relay kick, throttles) apart from a run sharing the same Redis.
"""

from ukbot.settings import *  # noqa: F403
from ukbot.settings import CACHES

ROOT_URLCONF = "bench.bench_urls"
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": "ukbot-bench"}}

# Every rate limit high but still counted: the benchmark signs in its accounts from one address and then drives
# them faster than a person would; it measures throughput with the throttle's cost included, not refusals.
API_RATE_USER = API_RATE_ANON = API_RATE_SIGN_IN = API_RATE_SEARCHES = "1000000/min"
API_RATE_UPLOADS = API_RATE_EXPORTS = API_RATE_BULK_NOTIFICATIONS = "1000000/min"
