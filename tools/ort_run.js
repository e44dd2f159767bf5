// Runs an ONNX model on onnxruntime-node: the independent reference for
// tests/ort_compare.sh. Inputs and outputs are .npy files; output names are
// made file-safe as `tessera run` does (chars outside [A-Za-z0-9._-] -> '_').
//
// usage: node tools/ort_run.js MODEL.onnx OUTDIR NAME=FILE.npy ...
// onnxruntime-node is looked up in ${TESSERA_CACHE:-$HOME/.cache/tessera}/node_modules.
'use strict';
const fs = require('fs');
const path = require('path');

const cache = process.env.TESSERA_CACHE || path.join(require('os').homedir(), '.cache', 'tessera');
const ort = require(path.join(cache, 'node_modules', 'onnxruntime-node'));

// numpy descr <-> onnxruntime tensor type and typed array
const TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '|i1': ['int8', Int8Array],
  '|u1': ['uint8', Uint8Array], '<i4': ['int32', Int32Array], '<i8': ['int64', BigInt64Array],
  '|b1': ['bool', Uint8Array], '<u2': ['uint16', Uint16Array], '<i2': ['int16', Int16Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const t = TYPES[descr];
  if (!t) throw new Error(`${file}: unsupported dtype ${descr}`);
  const body = buf.subarray(start + hlen);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  const data = new t[1](copy.buffer, 0, body.length / t[1].BYTES_PER_ELEMENT);
  return new ort.Tensor(t[0], t[0] === 'bool' ? Uint8Array.from(data) : data, shape);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(TYPES).find((k) => TYPES[k][0] === tensor.type);
  if (!descr) throw new Error(`output type ${tensor.type} not supported`);
  const dims = tensor.dims.join(', ') + (tensor.dims.length === 1 ? ',' : '');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = tensor.type === 'bool' ? Uint8Array.from(tensor.data, (b) => (b ? 1 : 0)) : tensor.data;
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

const safeName = (n) => (n.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_') || '_');

async function main() {
  const [model, outDir, ...specs] = process.argv.slice(2);
  if (!model || !outDir) {
    console.error('usage: node tools/ort_run.js MODEL.onnx OUTDIR NAME=FILE.npy ...');
    process.exit(2);
  }
  const feeds = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    feeds[s.slice(0, eq)] = readNpy(s.slice(eq + 1));
  }
  // no graph rewrites: the reference computes each op as specified (ORT's QDQ
  // fusion would run quantized convolutions in integer arithmetic instead)
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
  const out = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) writeNpy(path.join(outDir, safeName(name) + '.npy'), out[name]);
}

module.exports = { ort, readNpy, writeNpy, safeName };
if (require.main === module) {
  main().catch((e) => { console.error(`ort_run: ${e.message || e}`); process.exit(1); });
}
