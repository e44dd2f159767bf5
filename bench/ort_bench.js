// Times a model on onnxruntime-node: median latency of `repeat` runs after
// one warm-up, with intra-op threads as given (inter-op 1, sequential).
// Optionally writes the outputs (to check them against Tessera's).
//
// usage: node bench/ort_bench.js MODEL.onnx INPUT.npy THREADS REPEAT [OUTDIR]
// prints: median_ms <value>, min_ms <value>
'use strict';
const path = require('path');
const { ort, readNpy, writeNpy, safeName } = require('../tools/ort_run.js');

async function main() {
  const [model, input, threads, repeat, outDir] = process.argv.slice(2);
  if (!repeat) {
    console.error('usage: node bench/ort_bench.js MODEL.onnx INPUT.npy THREADS REPEAT [OUTDIR]');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { [session.inputNames[0]]: readNpy(input) };
  let out = await session.run(feeds);   // warm-up
  const times = [];
  for (let i = 0; i < Number(repeat); i++) {
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  if (outDir) {
    require('fs').mkdirSync(outDir, { recursive: true });
    for (const name of session.outputNames) writeNpy(path.join(outDir, safeName(name) + '.npy'), out[name]);
  }
  console.log(`median_ms ${median.toFixed(3)}`);
  console.log(`min_ms ${times[0].toFixed(3)}`);
}

main().catch((e) => { console.error(`ort_bench: ${e.message || e}`); process.exit(1); });
