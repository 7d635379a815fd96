#!/usr/bin/python3
"""One epoch of the demo CNN on Fashion-MNIST in PyTorch: the peer of `nabla train` in
Benchmarks/fashion-epoch.sh.

    /usr/bin/python3 Benchmarks/fashion_epoch_torch.py /usr/share/datasets/fashion-mnist

What `nabla train --data DIR --val 5000 --test 5000 --epochs 1` does, in the same network and
update: the 70,000 images of the folder (training and test files) shuffled with a seed and split
into 60,000 for training, 5,000 for validation and 5,000 held out; bytes scaled to [0, 1];
conv(16, 5×5, pad 2), ReLU, max pool 2, conv(32, 5×5, pad 2), ReLU, max pool 2, linear(10); softmax
cross-entropy; SGD with momentum 0.9, learning rate 0.02, batch 100, shuffled each epoch; then the
loss and accuracy on the validation split. 2 threads (TORCH_THREADS overrides).

Prints one JSON line: seconds spent loading, training (the loop alone) and validating, and the
epoch's mean training loss and validation accuracy.
"""

import gzip
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
import torch
from torch import nn

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))


def idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load(folder):
    images, labels = [], []
    for prefix in ("train", "t10k"):
        images.append(idx(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28))
        labels.append(idx(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"), 8))
    return np.concatenate(images), np.concatenate(labels).astype(np.int64)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    started = time.perf_counter()
    images, labels = load(folder)
    order = np.random.default_rng(1).permutation(len(images))
    train, val = order[:60000], order[60000:65000]
    x = torch.from_numpy(images[train].astype(np.float32) / 255)
    y = torch.from_numpy(labels[train])
    xv = torch.from_numpy(images[val].astype(np.float32) / 255)
    yv = torch.from_numpy(labels[val])
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    loaded = time.perf_counter()

    total = 0.0
    permutation = torch.randperm(len(x))
    for start in range(0, len(x), 100):
        batch = permutation[start:start + 100]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    trained = time.perf_counter()

    with torch.inference_mode():
        correct = sum((model(xv[i:i + 1000]).argmax(1) == yv[i:i + 1000]).sum().item() for i in range(0, len(xv), 1000))
    validated = time.perf_counter()
    print(json.dumps({"load_s": round(loaded - started, 3), "train_s": round(trained - loaded, 3),
                      "validate_s": round(validated - trained, 3), "train_loss": round(total / len(x), 4),
                      "val_acc": round(correct / len(xv), 4), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
