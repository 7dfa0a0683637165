#!/usr/bin/env bash
# The main job on a built-in corpus: set up, train a character-level LSTM (the lesson's model) on
# Moby-Dick for 300 steps (under a minute on two cores), then generate from it greedily and with temperatures.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent setup
OUT=runs/moby-dick-demo
node dist/cli.js train --corpus moby-dick --epochs 1 --lr 0.01 --max-steps "${GN_DEMO_STEPS:-300}" --out "$OUT"
for t in 0 0.5 1.0; do
  echo "--- temperature $t"
  node dist/cli.js generate --model "$OUT" --prompt "Call me " --length 200 --temperature "$t" --seed 1
done
echo "--- model saved in $OUT; try: npx gennet generate --model $OUT --prompt \"The whale \" --temperature 0.8"
echo "    or watch it generate in a browser: npx gennet serve --model $OUT"
