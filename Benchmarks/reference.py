#!/usr/bin/env python3
"""NumPy references for NablaBench's training workloads.

Each workload is the step Nabla runs, written by hand with NumPy in the manner of the CS231n
assignments: forward and backward of every layer, im2col for the convolution, max pooling by
reshaping, softmax cross-entropy, SGD with momentum. Float32 throughout, the same shapes and
batch sizes as the Swift side.

    python3 Benchmarks/reference.py            # images/s of every workload, as JSON
    python3 Benchmarks/reference.py --serve    # timed on request (NablaBench drives it)

With --serve the script speaks serve_protocol.py's protocol: one JSON line describing NumPy and
its BLAS, then one JSON line {"seconds": <time per call>} for each request "<workload> <calls>".
"""

import json
import sys

import serve_protocol

try:
    import numpy as np
except ImportError:
    print(json.dumps({"error": "NumPy is not installed (pip install numpy)"}), flush=True)
    sys.exit(1)

F32 = np.float32
LEARNING_RATE = 1e-3
MOMENTUM = 0.9


def blas_info():
    """What NumPy's matrix products run on: threadpoolctl's runtime view if it is installed
    (the kernel OpenBLAS picked for this CPU, its thread count), else NumPy's build record."""
    info = {"numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            info["blas"] = "%s %s, %s kernels, %s threads (threadpoolctl)" % (
                p.get("internal_api"), p.get("version"), p.get("architecture"), p.get("num_threads"))
            return info
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        config = " ".join(str(blas.get("openblas configuration", "")).split())
        info["blas"] = "%s %s (%s; build info, threadpoolctl not installed)" % (
            blas.get("name"), blas.get("version"), config)
    except Exception as error:  # older NumPy: no dict form of the config
        info["blas"] = "unknown (%s)" % error
    return info


# ---------------------------------------------------------------------------------------------
# Layers: forward returns (out, cache), backward returns the gradients (CS231n's convention).

def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache, need_dx=True):
    x, w = cache
    dx = dout @ w.T if need_dx else None
    return dx, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def softmax_loss(scores, y):
    """Mean cross-entropy of the scores and its gradient with respect to them."""
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    loss = -(shifted[np.arange(n), y] - np.log(total[:, 0])).mean()
    dscores = e / total
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, dscores


def im2col(x, kh, kw, pad):
    """[N, C, H, W] → [C·kh·kw, N·H'·W'] for stride 1: one strided copy per kernel offset."""
    n, c, h, w = x.shape
    ho, wo = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, :, i:i + ho, j:j + wo].transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * ho * wo)


def col2im(cols, shape, kh, kw, pad):
    """The adjoint of im2col: adds each column entry back onto the pixel it was read from."""
    n, c, h, w = shape
    ho, wo = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
    cols = cols.reshape(c, kh, kw, n, ho, wo)
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + ho, j:j + wo] += cols[:, i, j].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + h, pad:pad + w]


def conv_forward(x, w, b, pad):
    n = x.shape[0]
    f, _, kh, kw = w.shape
    cols = im2col(x, kh, kw, pad)
    ho, wo = x.shape[2] + 2 * pad - kh + 1, x.shape[3] + 2 * pad - kw + 1
    out = w.reshape(f, -1) @ cols + b[:, None]
    out = np.ascontiguousarray(out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3))
    return out, (x.shape, w, cols, pad)


def conv_backward(dout, cache, need_dx=True):
    shape, w, cols, pad = cache
    f, _, kh, kw = w.shape
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(f, -1)
    db = dout.sum(axis=(0, 2, 3))
    dw = (dout_rows @ cols.T).reshape(w.shape)
    dx = col2im(w.reshape(f, -1).T @ dout_rows, shape, kh, kw, pad) if need_dx else None
    return dx, dw, db


def max_pool_forward(x):
    """2×2 windows with stride 2, by viewing each window as two axes of a reshape."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    return windows.max(axis=(3, 5)), (x, windows)


def max_pool_backward(dout, out, cache):
    """The gradient goes to each window's maximum, split evenly among ties (as in Nabla)."""
    x, windows = cache
    mask = windows == out[:, :, :, None, :, None]
    dx = np.where(mask, dout[:, :, :, None, :, None], F32(0))
    dx /= mask.sum(axis=(3, 5), keepdims=True, dtype=F32)
    return dx.reshape(x.shape)


def momentum_update(params, grads, velocities):
    """The lectures' SGD with momentum: v = μ·v - lr·dw; w += v."""
    for w, dw, v in zip(params, grads, velocities):
        v *= MOMENTUM
        v -= LEARNING_RATE * dw
        w += v


# ---------------------------------------------------------------------------------------------
# Workloads.

def he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(F32)


class MLP:
    """Linear 784→512, ReLU, Linear 512→256, ReLU, Linear 256→10 (weights stored [in, out])."""
    sizes = [784, 512, 256, 10]

    def __init__(self, batch, seed=0):
        rng = np.random.default_rng(seed)
        self.x = rng.random((batch, self.sizes[0]), dtype=F32)
        self.y = rng.integers(0, 10, batch)
        self.params = []
        for a, b in zip(self.sizes, self.sizes[1:]):
            self.params += [he(rng, (a, b), a), np.zeros(b, dtype=F32)]
        self.velocities = [np.zeros_like(p) for p in self.params]

    def forward(self, x):
        w1, b1, w2, b2, w3, b3 = self.params
        h1 = np.maximum(x @ w1 + b1, 0)
        h2 = np.maximum(h1 @ w2 + b2, 0)
        return h2 @ w3 + b3

    def train_step(self):
        w1, b1, w2, b2, w3, b3 = self.params
        z1, c1 = affine_forward(self.x, w1, b1)
        a1, r1 = relu_forward(z1)
        z2, c2 = affine_forward(a1, w2, b2)
        a2, r2 = relu_forward(z2)
        scores, c3 = affine_forward(a2, w3, b3)
        loss, dscores = softmax_loss(scores, self.y)
        da2, dw3, db3 = affine_backward(dscores, c3)
        da1, dw2, db2 = affine_backward(relu_backward(da2, r2), c2)
        _, dw1, db1 = affine_backward(relu_backward(da1, r1), c1, need_dx=False)
        momentum_update(self.params, [dw1, db1, dw2, db2, dw3, db3], self.velocities)
        return loss

    def infer_step(self):
        return self.forward(self.x)


class CNN:
    """Conv 3→32 (3×3, pad 1), ReLU, max pool 2, conv 32→64, ReLU, max pool 2, flatten,
    Linear 4096→256, ReLU, Linear 256→10, on 3×32×32 images."""

    def __init__(self, batch, seed=0):
        rng = np.random.default_rng(seed)
        self.x = rng.random((batch, 3, 32, 32), dtype=F32)
        self.y = rng.integers(0, 10, batch)
        self.params = [he(rng, (32, 3, 3, 3), 27), np.zeros(32, dtype=F32),
                       he(rng, (64, 32, 3, 3), 288), np.zeros(64, dtype=F32),
                       he(rng, (4096, 256), 4096), np.zeros(256, dtype=F32),
                       he(rng, (256, 10), 256), np.zeros(10, dtype=F32)]
        self.velocities = [np.zeros_like(p) for p in self.params]

    def train_step(self):
        k1, c1b, k2, c2b, w3, b3, w4, b4 = self.params
        z1, cc1 = conv_forward(self.x, k1, c1b, pad=1)
        a1, r1 = relu_forward(z1)
        p1, pc1 = max_pool_forward(a1)
        z2, cc2 = conv_forward(p1, k2, c2b, pad=1)
        a2, r2 = relu_forward(z2)
        p2, pc2 = max_pool_forward(a2)
        flat = p2.reshape(p2.shape[0], -1)
        z3, c3 = affine_forward(flat, w3, b3)
        a3, r3 = relu_forward(z3)
        scores, c4 = affine_forward(a3, w4, b4)
        loss, dscores = softmax_loss(scores, self.y)
        da3, dw4, db4 = affine_backward(dscores, c4)
        dflat, dw3, db3 = affine_backward(relu_backward(da3, r3), c3)
        da2 = max_pool_backward(dflat.reshape(p2.shape), p2, pc2)
        dp1, dk2, dc2b = conv_backward(relu_backward(da2, r2), cc2)
        da1 = max_pool_backward(dp1, p1, pc1)
        _, dk1, dc1b = conv_backward(relu_backward(da1, r1), cc1, need_dx=False)
        momentum_update(self.params, [dk1, dc1b, dk2, dc2b, dw3, db3, dw4, db4], self.velocities)
        return loss


# name → (make the state, the step to time, images per step)
WORKLOADS = {
    "mlp_train": (lambda: MLP(128), lambda m: m.train_step(), 128),
    "cnn_train": (lambda: CNN(64), lambda m: m.train_step(), 64),
    "mlp_infer": (lambda: MLP(1024), lambda m: m.infer_step(), 1024),
}


if __name__ == "__main__":
    serve_protocol.run(WORKLOADS, blas_info)
