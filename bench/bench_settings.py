"""Settings for bench/bench_api_intake.py only: Leadgate's own settings with a
URLconf that adds the bare endpoint (bench/bare_urls.py). Never used in production."""

from leadgate.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
