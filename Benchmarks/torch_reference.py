#!/usr/bin/python3
"""PyTorch peers of NablaBench's training workloads (the same networks, batches and update rule).

Run with Debian's interpreter, where `python3-torch` installs PyTorch (`make bench` installs it):

    /usr/bin/python3 Benchmarks/torch_reference.py            # images/s of every workload, as JSON
    /usr/bin/python3 Benchmarks/torch_reference.py --serve    # timed on request (NablaBench drives it)

The protocol of --serve is reference.py's: one JSON line describing PyTorch, then one JSON line
{"seconds": <time per call>} for each request line "<workload> <calls>", until "quit".

PyTorch runs on 2 threads (the machine's cores; TORCH_THREADS overrides) with
OMP_WAIT_POLICY=PASSIVE, so that its OpenMP workers sleep instead of spinning between calls and
do not steal time from the Nabla samples that alternate with its own.
"""

import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read by libgomp when torch loads it

try:
    import torch
    from torch import nn
except ImportError:
    print(json.dumps({"error": "PyTorch is not installed for %s (Debian: apt-get install python3-torch)"
                      % sys.executable}), flush=True)
    sys.exit(1)

THREADS = int(os.environ.get("TORCH_THREADS", "2"))
torch.set_num_threads(THREADS)
LEARNING_RATE = 1e-3
MOMENTUM = 0.9


def describe():
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "mkldnn": torch.backends.mkldnn.is_available()}


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    """NablaBench's cnn_train network: 3×32×32 images, two 3×3 convolutions with pooling, two Linear."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4096, 256), nn.ReLU(), nn.Linear(256, 10))


class Training:
    """One fixed batch, softmax cross-entropy, SGD with momentum 0.9: the loop of NablaBench."""

    def __init__(self, model, input_shape, batch):
        torch.manual_seed(0)
        self.model = model
        self.x = torch.rand((batch,) + input_shape)
        self.y = torch.randint(0, 10, (batch,))
        self.optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
        self.loss = nn.CrossEntropyLoss()

    def step(self):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss


class Inference:
    def __init__(self, model, batch):
        torch.manual_seed(0)
        self.model = model.eval()
        self.x = torch.rand(batch, 784)

    def step(self):
        with torch.inference_mode():
            return self.model(self.x)


# name → (make the state, images per step)
WORKLOADS = {
    "mlp_train": (lambda: Training(mlp(), (784,), 128), 128),
    "cnn_train": (lambda: Training(cnn(), (3, 32, 32), 64), 64),
    "mlp_infer": (lambda: Inference(mlp(), 1024), 1024),
}


class Runner:
    def __init__(self):
        self.states = {}

    def seconds_per_call(self, name, calls):
        if name not in self.states:
            self.states[name] = WORKLOADS[name][0]()
            self.states[name].step()  # warm-up: allocator, oneDNN primitive caches
        state = self.states[name]
        start = time.perf_counter()
        for _ in range(calls):
            state.step()
        return (time.perf_counter() - start) / calls


def serve():
    runner = Runner()
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


def standalone():
    """Best of five samples of at least 0.2 s each, per workload."""
    runner = Runner()
    result = describe()
    for name, (_, images) in WORKLOADS.items():
        once = runner.seconds_per_call(name, 1)
        calls = max(1, int(0.2 / once))
        best = min(runner.seconds_per_call(name, calls) for _ in range(5))
        result[name] = round(images / best, 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    serve() if "--serve" in sys.argv[1:] else standalone()
