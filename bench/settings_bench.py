"""Settings of the server that ``bench/bench_onestop.py`` starts: CQS's own, plus the baseline
routes (``bench/baseline_urls.py``) and no throttling. Never used outside the benchmark.

The public lookup API is throttled per client address (30 per 10 minutes) and its rate is a
class attribute, so no setting raises it; every request of the benchmark comes from 127.0.0.1.
A dummy cache makes every throttle see an empty history. Nothing else in CQS uses the cache
(the throttles' own get/set on the local-memory cache, a few microseconds, are left out).
"""

from cqs.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline_urls"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
