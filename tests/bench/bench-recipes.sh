#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Base-training recipes against the blog post's, on Fashion-MNIST: b0 from
# scratch, 3 epochs at 32 px on classes 0-4, then 5-9 added one at a time.
# Prints a Markdown table of the accuracy (all evaluation images) after
# every step, the final accuracy and the wall time of each run.
# A benchmark, never run in CI: each new recipe trains b0 on 30,000 images
# (tens of minutes on two busy cores) and extracts 70,000 images.
#
# Usage: bench-recipes.sh [TSUZUKI_CLI [DATA]]
#   TSUZUKI_CLI  default: _build/src/cli/tsuzuki-cli
#   DATA         default: /usr/share/datasets/fashion-mnist
# Trained weights and features are cached under $XDG_CACHE_HOME/tsuzuki
# (default here: /tmp/tsuzuki-bench-recipes), so a network trained once
# serves every layer choice and classifier setting that follows.

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
  "post|--recipe post|concat|post"
  "post|--recipe post|concat|ours"
  "post|--recipe post|penultimate|post"
  "post|--recipe post|penultimate|ours"
  "tsuzuki|--recipe tsuzuki|concat|ours"
  "tsuzuki|--recipe tsuzuki|concat|post"
  "tsuzuki|--recipe tsuzuki|penultimate|ours"
  "tsuzuki|--recipe tsuzuki|all|ours"
  "tsuzuki, no rotation|--recipe tsuzuki --rotation-task off|concat|ours"
  "tsuzuki, no augmentation|--recipe tsuzuki --augment none|concat|ours"
)

echo "| recipe | layers | classifier | step 0 | +5 | +6 | +7 | +8 | +9 (final) | seconds |"
echo "|---|---|---|---|---|---|---|---|---|---|"
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
steps = json.load (open (sys.argv[1]))["steps"]
print (" | ".join ("%.4f" % s["accuracy"] for s in steps))
' "$json")
  echo "| $name | $layers | $classifier | $steps | $seconds |"
  i=$((i + 1))
done
