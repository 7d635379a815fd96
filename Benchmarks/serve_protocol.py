"""The protocol NablaBench drives its Python peers with (reference.py, torch_reference.py).

    run(workloads, describe)

`workloads` maps a name to (make the state, the step to time on it, images per step); `describe()`
returns a dict saying what runs the steps (library, version, threads). With --serve, one JSON line
from `describe()`, then each request line "<workload> <calls>" on stdin is answered with one JSON
line {"seconds": <time per call>} after running the step `calls` times (the state is made and warmed
up once, on the first request, never timed), until "quit" or the end of input. NablaBench
alternates these samples with its own, so that load from other processes hits both sides alike.
Without --serve: the best of five samples of at least 0.2 s each, per workload, as images/s.
"""

import json
import sys
import time


class Runner:
    def __init__(self, workloads):
        self.workloads = workloads
        self.states = {}

    def seconds_per_call(self, name, calls):
        make, step, _ = self.workloads[name]
        if name not in self.states:
            self.states[name] = make()
            step(self.states[name])  # warm-up: page in, size the buffers, fill primitive caches
        state = self.states[name]
        start = time.perf_counter()
        for _ in range(calls):
            step(state)
        return (time.perf_counter() - start) / calls


def serve(workloads, describe):
    runner = Runner(workloads)
    print(json.dumps(describe()), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        try:
            seconds = runner.seconds_per_call(words[0], int(words[1]))
            print(json.dumps({"seconds": seconds}), flush=True)
        except Exception as error:
            print(json.dumps({"error": "%s: %s" % (type(error).__name__, error)}), flush=True)


def standalone(workloads, describe):
    runner = Runner(workloads)
    result = describe()
    for name, (_, _, images) in workloads.items():
        once = runner.seconds_per_call(name, 1)
        calls = max(1, int(0.2 / once))
        best = min(runner.seconds_per_call(name, calls) for _ in range(5))
        result[name] = round(images / best, 1)
    print(json.dumps(result, indent=1))


def run(workloads, describe):
    serve(workloads, describe) if "--serve" in sys.argv[1:] else standalone(workloads, describe)
