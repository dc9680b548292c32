#!/usr/bin/env node
// Trains FSRS-6 parameters with fsrs-rs (via the napi-rs binding
// @open-spaced-repetition/binding) on a list of FSRSItems and writes the result.
//
// Usage: node optimize.mjs INPUT.json OUTPUT.json
//
// INPUT.json:
//   {
//     "items": [ {"reviews": [ {"rating": 3, "delta_t": 0}, {"rating": 3, "delta_t": 2} ]}, ... ],
//     "enable_short_term": true,          // optional, default true
//     "num_relearning_steps": 1,          // optional, default: fsrs-rs default (1)
//     "training_config": {...}            // optional, default: fsrs-rs defaults; if given,
//                                         // ALL of numEpochs, batchSize, seed, maxSeqLen,
//                                         // learningRate, gamma are required (snake_case accepted)
//     "evaluate": true                    // optional, default true: add "evaluation"
//   }
// Items must be in chronological order of their last review (fsrs-rs applies
// recency weighting by position). See README.md.
//
// OUTPUT.json:
//   {"parameters": [21 numbers], "ms": <optimizer wall ms>, "binding_version": "0.5.0",
//    "n_items": N, "evaluation": {...}}

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  computeParameters,
  FSRSBinding,
  FSRSBindingItem,
  FSRSBindingReview,
} from '@open-spaced-repetition/binding';

const require = createRequire(import.meta.url);
// The package's "exports" map hides package.json, so locate it next to dist/.
const BINDING_VERSION = JSON.parse(
  readFileSync(join(dirname(require.resolve('@open-spaced-repetition/binding')), '..', 'package.json'), 'utf8'),
).version;

// How often (ms) the binding's progress-poller thread wakes up. The native task
// joins that thread after training, so with the binding's default of 500 ms up to
// half a second of idle time would be added to the measured wall time.
const POLL_MS = 5;

function die(msg) {
  process.stderr.write(`optimize.mjs: ${msg}\n`);
  process.exit(1);
}

function isUint(x) {
  return Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function buildItems(rawItems) {
  if (!Array.isArray(rawItems)) die('input "items" must be an array');
  return rawItems.map((it, i) => {
    const revs = it && it.reviews;
    if (!Array.isArray(revs) || revs.length === 0) die(`item ${i}: "reviews" must be a non-empty array`);
    revs.forEach((r, j) => {
      if (!r || ![1, 2, 3, 4].includes(r.rating)) die(`item ${i} review ${j}: rating must be 1..4`);
      if (!isUint(r.delta_t)) die(`item ${i} review ${j}: delta_t must be a non-negative integer`);
    });
    if (revs[0].delta_t !== 0) die(`item ${i}: first review must have delta_t 0`);
    // fsrs-rs panics (the binding turns it into a rejected promise) on items without
    // any long-term review, so refuse them here with a clearer message.
    if (revs[revs.length - 1].delta_t <= 0) die(`item ${i}: last review must have delta_t > 0`);
    return new FSRSBindingItem(revs.map((r) => new FSRSBindingReview(r.rating, r.delta_t)));
  });
}

function trainingConfig(tc) {
  if (tc == null) return undefined;
  const pick = (camel, snake) => {
    const v = tc[camel] ?? tc[snake];
    if (typeof v !== 'number' || !Number.isFinite(v)) die(`training_config.${camel} (${snake}) is required and must be a number`);
    return v;
  };
  return {
    numEpochs: pick('numEpochs', 'num_epochs'),
    batchSize: pick('batchSize', 'batch_size'),
    seed: pick('seed', 'seed'),
    maxSeqLen: pick('maxSeqLen', 'max_seq_len'),
    learningRate: pick('learningRate', 'learning_rate'),
    gamma: pick('gamma', 'gamma'),
  };
}

async function main() {
  const [inPath, outPath] = process.argv.slice(2);
  if (!inPath || !outPath) die('usage: node optimize.mjs INPUT.json OUTPUT.json');

  const input = JSON.parse(readFileSync(inPath, 'utf8'));
  const items = buildItems(input.items);

  const options = {
    enableShortTerm: input.enable_short_term ?? true,
    timeout: POLL_MS,
  };
  if (input.num_relearning_steps != null) options.numRelearningSteps = input.num_relearning_steps;
  const tc = trainingConfig(input.training_config);
  if (tc) options.trainingConfig = tc;

  const t0 = performance.now();
  const parameters = await computeParameters(items, options);
  const ms = performance.now() - t0;

  if (!Array.isArray(parameters) || parameters.some((p) => !Number.isFinite(p))) {
    die(`optimizer returned non-finite parameters: ${JSON.stringify(parameters)}`);
  }

  const out = {
    parameters,
    ms,
    binding_version: BINDING_VERSION,
    n_items: items.length,
  };

  if (input.evaluate ?? true) {
    // FSRSBinding#evaluate: weighted log loss and RMSE(bins) of the given parameters on
    // the items (after the binding's own outlier filter; see README).
    try {
      const fitted = new FSRSBinding(parameters).evaluate(items);
      const defaults = new FSRSBinding().evaluate(items);
      out.evaluation = {
        log_loss: fitted.logLoss,
        rmse_bins: fitted.rmseBins,
        default_log_loss: defaults.logLoss,
        default_rmse_bins: defaults.rmseBins,
      };
    } catch (e) {
      out.evaluation_error = String(e && e.message ? e.message : e);
    }
  }

  writeFileSync(outPath, JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
