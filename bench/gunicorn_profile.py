"""gunicorn hooks for `--profile` (bench/harness.py): each web worker runs under cProfile from its
fork to its exit and writes its stats to $BENCH_PROFILE_DIR/web-<pid>.prof (snakeviz-ready; the
harness merges them into web.prof and prints the top frames). The profile counts CPU time
(time.process_time), as the targets do; BENCH_PROFILE_CLOCK=wall counts wall-clock time instead,
which shows the waits (for the row lock, the database, the next request). Profiling slows the
workers: the timings of a profiled run are not the benchmark's figures."""

import cProfile
import os
import time


def post_fork(server, worker):
    wall = os.environ.get("BENCH_PROFILE_CLOCK") == "wall"
    worker.bench_profiler = cProfile.Profile(time.perf_counter if wall else time.process_time)
    worker.bench_profiler.enable()


def worker_exit(server, worker):
    profiler = getattr(worker, "bench_profiler", None)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], f"web-{worker.pid}.prof"))
