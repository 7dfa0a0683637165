#!/usr/bin/env bash
# Training to quality: what `gennet train` reaches in a time budget with the settings it chooses, against the reference
# on the same split — the order-6 interpolated Kneser–Ney chain (counted in seconds) — and the share of known words
# in its samples at temperature 0.5 (three prompts, 300 characters each).
#   npm run bench:quality -- CORPUS MINUTES [data flags of both…] [-- flags of the network…]
#   e.g. npm run bench:quality -- moby-dick 10        npm run bench:quality -- sotu 5 -- --model lstm:1x512
# Prints one JSON line: corpus, minutes, the network's and the chain's validation bits/char, their difference, steps,
# why it stopped, the best step, known words. Run it alone: it times a budget on every core it is given.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: bench/quality.sh CORPUS MINUTES [train flags…]}
minutes=${2:?usage: bench/quality.sh CORPUS MINUTES [train flags…]}
shift 2
data=()
while [[ $# -gt 0 && $1 != -- ]]; do data+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gennet() { node dist/cli.js "$@"; }
chain=$(gennet train --corpus "$corpus" "${data[@]}" --model ngram:6 --out "$out/chain" --json 2>/dev/null)
net=$(gennet train --corpus "$corpus" "${data[@]}" --minutes "$minutes" --out "$out/net" --json --no-samples "$@" \
  2>"$out/log")
samples=$(gennet temperatures --model "$out/net" --temps 0.5 --prompts 'Call me |The whale |It was ' --length 300 --json)
model=$(jq -c '{units: .model.units, layers: .model.layers, dropout: .model.dropout}' "$out/net/config.json")
jq -nc --arg corpus "$corpus" --argjson minutes "$minutes" --argjson chain "$chain" --argjson net "$net" \
  --argjson samples "$samples" --argjson model "$model" --arg flags "${data[*]} -- $*" '{
    corpus: $corpus, minutes: $minutes, flags: $flags, model: $model,
    netBitsPerChar: ($net.valBitsPerChar * 1000 | round / 1000),
    chainBitsPerChar: ($chain.valBitsPerChar * 1000 | round / 1000),
    netMinusChain: (($net.valBitsPerChar - $chain.valBitsPerChar) * 1000 | round / 1000),
    steps: $net.steps, stopReason: $net.stopReason, bestStep: $net.bestStep, seconds: ($net.seconds | round),
    charsPerSecond: $net.charsPerSecond, engine: $net.engine, threads: $net.threads,
    knownWordsAt05: ([$samples[].metrics.knownWords] | if any(. == null) then null else add / length * 1000 | round / 1000 end)
  }'
