"""Benchmarks (`make bench`, `bench/run.sh`). A package only so that gunicorn can import the
bench-only settings and URLs (`bench.settings`, `bench.urls`)."""
