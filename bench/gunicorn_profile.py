"""gunicorn hooks for `--profile` (bench/harness.py): each web worker runs under cProfile from its
fork to its exit and writes its stats to $BENCH_PROFILE_DIR/web-<pid>.prof (snakeviz-ready; the
harness merges them into web.prof and prints the top frames). Profiling slows the workers: the
timings of a profiled run are not the benchmark's figures."""

import cProfile
import os


def post_fork(server, worker):
    worker.bench_profiler = cProfile.Profile()
    worker.bench_profiler.enable()


def worker_exit(server, worker):
    profiler = getattr(worker, "bench_profiler", None)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], f"web-{worker.pid}.prof"))
