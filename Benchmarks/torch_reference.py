#!/usr/bin/python3
"""PyTorch peers of NablaBench's training workloads (the same networks, batches and update rule).

Run with Debian's interpreter, where `python3-torch` installs PyTorch (`make bench` installs it):

    /usr/bin/python3 Benchmarks/torch_reference.py            # images/s of every workload, as JSON
    /usr/bin/python3 Benchmarks/torch_reference.py --serve    # timed on request (NablaBench drives it)

The protocol of --serve is reference.py's (serve_protocol.py): one JSON line describing PyTorch,
then one JSON line {"seconds": <time per call>} for each request line "<workload> <calls>".

PyTorch runs on 2 threads (the machine's cores; TORCH_THREADS overrides) with
OMP_WAIT_POLICY=PASSIVE, so that its OpenMP workers sleep instead of spinning between calls and
do not steal time from the Nabla samples that alternate with its own.
"""

import json
import os
import sys

import serve_protocol

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


# name → (make the state, the step to time, images per step)
WORKLOADS = {
    "mlp_train": (lambda: Training(mlp(), (784,), 128), lambda s: s.step(), 128),
    "cnn_train": (lambda: Training(cnn(), (3, 32, 32), 64), lambda s: s.step(), 64),
    "mlp_infer": (lambda: Inference(mlp(), 1024), lambda s: s.step(), 1024),
}


if __name__ == "__main__":
    serve_protocol.run(WORKLOADS, describe)
