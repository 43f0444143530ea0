"""Benchmarks (`make bench`): the app at scale, timed against a baseline measured in the same run.

Each module `bench/bench_<name>.py` exposes `run(ctx: Context) -> list[Result]`; the runner
(`python -m bench [name ...]`) builds or reuses the dataset, runs them, prints one table and
writes it to bench/.cache/last.json.
"""
