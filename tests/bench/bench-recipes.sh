#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Base-training recipes and endpoints against the blog post's, on
# Fashion-MNIST: b0 from scratch, 3 epochs at 32 px on classes 0-4, then
# 5-9 added one at a time. Prints a Markdown table of the accuracy (all
# evaluation images) after every step, the training seconds and the wall
# time of each run. It is how Tsuzuki's defaults were chosen (the rotation
# task, the spatial endpoints; README.md has the table).
# A benchmark, never run in CI: each recipe trains b0 on 30,000 images
# (5 to 15 minutes on two cores) and each endpoint set extracts 70,000.
#
# Usage: bench-recipes.sh [TSUZUKI_CLI [DATA]]
#   TSUZUKI_CLI  default: _build/src/cli/tsuzuki-cli
#   DATA         default: /usr/share/datasets/fashion-mnist
# Trained weights and features are cached under $XDG_CACHE_HOME/tsuzuki
# (default here: /tmp/tsuzuki-bench-recipes), so a network trained once
# serves every endpoint set and classifier setting that follows.

set -eu

cli=${1:-_build/src/cli/tsuzuki-cli}
data=${2:-/usr/share/datasets/fashion-mnist}
python=${TZ_PYTHON3:-/usr/bin/python3}
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-/tmp/tsuzuki-bench-recipes}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

common=(--data "$data" --backbone b0 --weights scratch --train-epochs 3 --image-size 32
        --initial 0,1,2,3,4 --order 5,6,7,8,9 --quiet)
post_classifier=(--covariance class-averaged --regularization ridge:1e-6 --prior counts
                 --transform none)

# name | recipe flags | layers | classifier (post or ours)
runs=(
  "post|--recipe post|penultimate|post"
  "post|--recipe post|concat|post"
  "post|--recipe post|concat|ours"
  "post|--recipe post|3,5,7|ours"
  "post|--recipe post|2,3,4,5,6,7|ours"
  "post|--recipe post|0,1,2,3,5,7|ours"
  "post|--recipe post|0,1,2,3,4,5,6,7|ours"
  "post|--recipe post|all|ours"
  "post|--recipe post|spatial|post"
  "post|--recipe post|spatial|ours"
  "post + cosine, warm-up 5%|--recipe post --lr-schedule cosine --warmup 0.05|concat|ours"
  "post + crop, flip|--recipe post --augment crop,flip|concat|ours"
  "post + crop, flip, smoothing 0.1, cosine, rotation|--recipe post --augment crop,flip --label-smoothing 0.1 --lr-schedule cosine --warmup 0.05 --rotation-task on|concat|ours"
  "post + rotation (tsuzuki)|--recipe tsuzuki|concat|ours"
  "post + rotation (tsuzuki)|--recipe tsuzuki|spatial|ours"
)

echo "| recipe | layers | classifier | step 0 | +5 | +6 | +7 | +8 | +9 (final) | training s | seconds |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
i=0
for run in "${runs[@]}"
do
  IFS='|' read -r name flags layers classifier <<< "$run"
  extra=()
  if [ "$classifier" = post ]
  then
    extra=("${post_classifier[@]}")
  fi
  json="$out/run-$i.json"
  started=$(date +%s)
  # shellcheck disable=SC2086
  "$cli" protocol "${common[@]}" $flags --layers "$layers" "${extra[@]}" --json "$json" > /dev/null
  seconds=$(( $(date +%s) - started ))
  steps=$("$python" -c '
import json, sys
result = json.load (open (sys.argv[1]))
print (" | ".join ("%.4f" % s["accuracy"] for s in result["steps"]),
       "| %.0f" % result["timings"]["training_seconds"])
' "$json")
  echo "| $name | $layers | $classifier | $steps | $seconds |"
  i=$((i + 1))
done
