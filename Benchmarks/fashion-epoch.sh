#!/usr/bin/env bash
# One epoch of the demo CNN (the Makefile's DEMO_MODEL) on Fashion-MNIST's 60,000 training images:
# `nabla train` against the same network, data split and update in PyTorch
# (Benchmarks/fashion_epoch_torch.py), each in its own process, timed whole with its peak memory
# (/usr/bin/time). Run from the repository root after `make build`:
#
#     Benchmarks/fashion-epoch.sh [ROUNDS]      # default 1; rounds alternate nabla and PyTorch
#
# Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist; FASHION_MNIST
# overrides) and python3-torch; skips with a note when the data are absent.
set -euo pipefail

DATA="${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"
NABLA="${NABLA:-.build/release/nabla}"
MODEL="${MODEL:-conv(16, 5, pad: 2), relu, maxpool(2), conv(32, 5, pad: 2), relu, maxpool(2), linear(10)}"
ROUNDS="${1:-1}"

if [ ! -e "$DATA/train-images-idx3-ubyte.gz" ]; then
    echo "fashion-epoch: $DATA has no Fashion-MNIST (Debian: apt-get install dataset-fashion-mnist); skipped."
    exit 0
fi
[ -x "$NABLA" ] || { echo "fashion-epoch: $NABLA not built (make build)"; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "fashion-epoch: PyTorch missing (apt-get install python3-torch)"; exit 1; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for round in $(seq "$ROUNDS"); do
    # 70,000 images (training and test files) less 5,000 for validation and 5,000 held out: 60,000 trained on.
    /usr/bin/time -f "%e %M" -o "$scratch/nabla.time" \
        "$NABLA" train --data "$DATA" --model "$MODEL" --epochs 1 --batch-size 100 --lr 0.02 --momentum 0.9 \
        --val 5000 --test 5000 --out "$scratch/run-$round" > "$scratch/nabla.log" 2>&1 \
        || { cat "$scratch/nabla.log"; exit 1; }
    OMP_WAIT_POLICY=PASSIVE /usr/bin/time -f "%e %M" -o "$scratch/torch.time" \
        /usr/bin/python3 "$(dirname "$0")/fashion_epoch_torch.py" "$DATA" > "$scratch/torch.log"
    read -r nabla_s nabla_kb < "$scratch/nabla.time"
    read -r torch_s torch_kb < "$scratch/torch.time"
    torch_train_s="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_s"])' "$scratch/torch.log")"
    echo "nabla: $(grep -i -m1 -E 'epoch +1|^ *1 ' "$scratch/nabla.log" || tail -n 1 "$scratch/nabla.log")"
    echo "torch: $(cat "$scratch/torch.log")"
    echo "RESULT fashion_epoch round=$round nabla_s=$nabla_s nabla_peak_mb=$((nabla_kb / 1024))" \
         "torch_s=$torch_s torch_train_loop_s=$torch_train_s torch_peak_mb=$((torch_kb / 1024))" \
         "ratio=$(/usr/bin/python3 -c "print(round($torch_s / $nabla_s, 2))")"
    echo "$nabla_s $torch_s" >> "$scratch/rounds"
done
# Over several rounds, the best of each side: the figure least disturbed by other work on the machine.
if [ "$ROUNDS" -gt 1 ]; then
    /usr/bin/python3 - "$scratch/rounds" <<'PY'
import sys
rounds = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
nabla, torch = min(r[0] for r in rounds), min(r[1] for r in rounds)
print(f"RESULT fashion_epoch best_of={len(rounds)} nabla_s={nabla} torch_s={torch} ratio={round(torch / nabla, 2)}")
PY
fi
