#!/usr/bin/env bash
# The main job on a built-in corpus: set up, train a character-level LSTM (the lesson's model) on Moby-Dick for a
# time budget (GN_DEMO_MINUTES, default 1.75: under two minutes on two cores), keeping its best validation, then
# generate from it greedily and at temperatures 0.5 and 1, and say how many of the generated words are Melville's.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent setup
OUT=runs/moby-dick-demo
node dist/cli.js train --corpus moby-dick --model "${GN_DEMO_MODEL:-lstm:1x256}" --minutes "${GN_DEMO_MINUTES:-1.75}" \
  --no-samples --out "$OUT"
node dist/cli.js temperatures --model "$OUT" --prompts 'Call me |The whale |Captain Ahab ' --temps 0,0.5,1 \
  --length 200 --seed 1
node dist/cli.js temperatures --model "$OUT" --prompts 'Call me |The whale |Captain Ahab |It was |And so ' \
  --temps 0.5 --length 300 --seed 1 --json |
  node -e 'const rows = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const known = rows.reduce((sum, r) => sum + r.metrics.knownWords, 0) / rows.length;
    console.log(`--- at temperature 0.5, ${(100 * known).toFixed(1)}% of the generated words are words of Moby-Dick`);'
echo "--- model saved in $OUT; try: npx gennet generate --model $OUT --prompt \"The whale \" --temperature 0.8"
echo "    or watch it generate in a browser: npx gennet serve --model $OUT"
