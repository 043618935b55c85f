"""gunicorn hooks for `--profile` (bench/harness.py): each web worker profiles the rush's requests
(the POSTs: the applications or bookings) under cProfile and writes its stats at its exit to
$BENCH_PROFILE_DIR/web-<pid>.prof (snakeviz-ready; the harness merges them into web.prof and
prints the top frames). Only the requests are profiled, from gunicorn's reading of the request
to its writing of the response: the workers' start-up (imports), the warm-up and the bare view
stay out, so the top frames are the rush's own. BENCH_PROFILE_REQUESTS=all profiles every
request from the worker's fork instead (start-up included). The profile counts CPU time
(time.process_time), as the targets do; BENCH_PROFILE_CLOCK=wall counts wall-clock time instead,
which shows the waits (for the row lock, the database, the next request). Profiling slows the
workers: the timings of a profiled run are not the benchmark's figures."""

import cProfile
import os
import time

_EVERYTHING = os.environ.get("BENCH_PROFILE_REQUESTS") == "all"


def post_fork(server, worker):
    wall = os.environ.get("BENCH_PROFILE_CLOCK") == "wall"
    worker.bench_profiler = cProfile.Profile(time.perf_counter if wall else time.process_time)
    if _EVERYTHING:
        worker.bench_profiler.enable()


def pre_request(server_or_worker, req):
    # gunicorn calls pre_request(worker, req) in the worker.
    profiler = getattr(server_or_worker, "bench_profiler", None)
    if profiler is not None and not _EVERYTHING and req.method == "POST":
        profiler.enable()


def post_request(worker, req, environ, resp):
    profiler = getattr(worker, "bench_profiler", None)
    if profiler is not None and not _EVERYTHING and req.method == "POST":
        profiler.disable()


def worker_exit(server, worker):
    profiler = getattr(worker, "bench_profiler", None)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], f"web-{worker.pid}.prof"))
