#!/bin/bash
# The continuity regulariser experiment (docs/CONTINUITY.md): each shipped model is
# fine-tuned twice from its shipped weights, with and without the decoder Jacobian penalty
# (train --jacobian-penalty), same data, steps, schedule and seed; CIFAR-10 also at two
# more weights for the trade-off curve. Writes runs/reg/<model>-<lambda>/model.safetensors;
# resumable (rerun the script: finished runs are skipped, stopped ones resume), then
#   bash benchmarks/continuity_regulariser.sh report
# measures all of them in one `invcodec bench continuity` run (results/continuity-regulariser).
# 2 CPU cores: about 80 minutes of training, 20 of measuring.
set -e
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
train() { python -m invcodec.training.train --warmup 50 --ckpt-every 100 --resume "$@"; }
run_cifar() {
  [ -f runs/reg/cifar-$1/model.safetensors ] || train --npz $DATA/cifar10/cifar10_partial.npz --crop 32 --val-crop 32 \
    --batch 32 --steps 1000 --lr 2e-4 --val-every 500 --grey-fraction 0 --init invcodec/weights/cifar10-v1.safetensors \
    --jacobian-penalty $1 --out runs/reg/cifar-$1 --name cifar10-jac$1
}
run_faces() {
  [ -f runs/reg/faces-$1/model.safetensors ] || train --data $DATA/celeba/img_align_celeba --split-csv $DATA/celeba/split.csv \
    --square 64 --crop 64 --val-crop 64 --batch 16 --steps 1000 --lr 2e-4 --val-every 500 \
    --init invcodec/weights/faces-v1.safetensors --jacobian-penalty $1 --out runs/reg/faces-$1 --name faces-jac$1
}
run_photo() {
  [ -f runs/reg/photo-$1/model.safetensors ] || train --data $DATA/photos-train --val $DATA/photos-dev --crop 128 \
    --val-crop 128 --batch 16 --steps 200 --lr 1e-4 --val-every 200 --init invcodec/weights/photo-v2.safetensors \
    --jacobian-penalty $1 --out runs/reg/photo-$1 --name photo-jac$1
}
if [ "$1" = report ]; then
  models=()
  for run in photo-0 photo-0.01 faces-0 faces-0.01 cifar-0 cifar-0.001 cifar-0.01 cifar-0.1; do
    models+=(-m runs/reg/$run/model.safetensors)
  done
  exec invcodec bench continuity "${models[@]}" --data $DATA --images 12 --samples 8 --out results/continuity-regulariser
fi
for lam in 0 0.01; do run_cifar $lam; done
for lam in 0 0.01; do run_faces $lam; done
for lam in 0 0.01; do run_photo $lam; done
for lam in 0.001 0.1; do run_cifar $lam; done
