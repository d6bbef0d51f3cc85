"""Child process that runs llama.cpp's server from the xllamacpp wheel until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import tempfile
import threading


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--alias", required=True)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--ctx-per-slot", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--poll", type=int, default=0, help="llama.cpp busy-poll level 0-100 (0: sleep while waiting).")
    ap.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="Stop when the process that started us dies (demo and tests: no orphaned servers).",
    )
    a = ap.parse_args()
    parent = os.getppid()
    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path = a.model
    p.port = a.port
    p.model_alias = {a.alias}
    p.hostnames = ["127.0.0.1"]
    p.n_parallel = a.parallel
    p.n_ctx = a.parallel * a.ctx_per_slot  # the context is split evenly between the slots
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = a.threads
    # No busy-polling between ops: on a small machine the client, the judge and the tests share the
    # cores, and spinning threads that wait for a descheduled sibling collapse throughput.
    p.cpuparams.poll = p.cpuparams_batch.poll = a.poll
    p.use_jinja = True
    # Where grading copies a rubric's prompt cache from one slot to the others (judge/model/prefix.py):
    # a private folder, removed when the server stops.
    slots_dir = tempfile.mkdtemp(prefix="judge-slots-")
    p.slot_save_path = slots_dir + os.sep
    server = xlc.Server(p)
    print("listening on", server.listening_address, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            if a.exit_with_parent and os.getppid() != parent:
                break  # our parent was killed (SIGKILL, timeout): do not live on as an orphan
    finally:
        shutil.rmtree(slots_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
