#!/usr/bin/env python3
"""A tiny stand-in for a training script: no dependencies, runs anywhere, a few seconds at most.

It "trains" for --epochs steps on a synthetic problem whose loss depends on the
hyperparameters, and prints Katib's default metrics format (`name=value`) once per epoch, as
a real training loop would.
"""
import argparse
import math
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--momentum", type=float, default=0.9)
parser.add_argument("--num-layers", type=int, default=2)
parser.add_argument("--optimizer", default="sgd")
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

# Best near lr=0.03, momentum=0.85, 3 layers, adam.
target = (math.log10(args.lr) - math.log10(0.03)) ** 2 + (args.momentum - 0.85) ** 2 * 4
target += 0.05 * (args.num_layers - 3) ** 2
target += {"adam": 0.0, "sgd": 0.1, "rmsprop": 0.05}.get(args.optimizer, 0.3)

for epoch in range(1, args.epochs + 1):
    time.sleep(0.05)
    loss = target + 1.0 / epoch
    accuracy = 1.0 / (1.0 + loss)
    print(f"epoch={epoch} loss={loss:.6f} accuracy={accuracy:.6f}", flush=True)
