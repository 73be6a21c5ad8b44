#!/usr/bin/env node
// Times an ONNX model in ONNX Runtime (CPU execution provider), the baseline that
// bcd's whole-network benchmarks report next to their own latency.
//
//   node ort_time.js MODEL.onnx [--threads N] [--repeat R] [--warmup W] [--seed S]
//                    [--in FILE] [--out FILE] [--expect FILE] [--profile]
//
// Feeds every float32 input seeded uniform random values in [-1, 1) (or, with --in,
// the raw little-endian float32 contents of FILE for a single-input model), runs
// `warmup` untimed inferences, then `repeat` timed ones, and prints
//
//   ort_model <path> inputs <name[shape] ...> threads <N> ort <version>
//   ort_latency_ms <median>            <- the machine-readable result
//   ort_latency_stats min=<ms> mean=<ms> max=<ms> repeat=<R>
//
// --out FILE writes the first output as raw little-endian float32 (its shape on the
// ort_output line), so that bcd's executor can be checked against ONNX Runtime;
// --expect FILE compares the first output with such a file (e.g. bcd's output on
// the same --in input) and prints
//   ort_compare max_abs=<x> max_rel=<x>   (relative to the largest |expected|)
// --profile then runs `repeat` more inferences in a second, profiling session (so
// that profiling does not slow the timed ones) and prints each node's kernel time,
// in execution order, to set beside `bcd run --profile`:
//   ort_node <name> <op type> <median ms>
//   ort_nodes_total_ms <sum of the medians>
//
// Set-up (not part of tools/install-deps.sh; the tests do not need it): Node.js 18+
// (Debian 12: apt-get install -y nodejs npm), then `npm install` in this folder. The
// CPU runtime ships inside the npm package onnxruntime-node; .npmrc skips its
// optional CUDA download. Produce the model with
//   build/bcd export-onnx --model squeezenet_v1.1 --out /tmp/squeezenet.onnx
'use strict';

const fs = require('fs');
const path = require('path');

function usage(message) {
  if (message) console.error(`ort_time: error: ${message}`);
  console.error('usage: node ort_time.js MODEL.onnx [--threads N] [--repeat R] [--warmup W] [--seed S] [--in FILE] [--out FILE] [--expect FILE] [--profile]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { model: null, threads: 1, repeat: 50, warmup: 5, seed: 0, in: null, out: null, expect: null, profile: false };
  const files = ['--in', '--out', '--expect'];
  const ints = { '--threads': 'threads', '--repeat': 'repeat', '--warmup': 'warmup', '--seed': 'seed' };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '-h' || a === '--help') usage();
    if (a === '--profile') {
      o.profile = true;
      continue;
    }
    if (ints[a] !== undefined || files.includes(a)) {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      const v = argv[++i];
      if (files.includes(a)) {
        o[a.slice(2)] = v;
      } else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) usage(`${a} must be a non-negative integer, got '${v}'`);
        o[ints[a]] = n;
      }
    } else if (a.startsWith('-')) {
      usage(`unknown option '${a}'`);
    } else if (o.model === null) {
      o.model = a;
    } else {
      usage(`unexpected argument '${a}'`);
    }
  }
  if (o.model === null) usage('no model given');
  if (o.threads < 1) usage('--threads must be at least 1');
  if (o.repeat < 1) usage('--repeat must be at least 1');
  return o;
}

// splitmix64 on BigInt: deterministic per seed, independent of Node's Math.random.
function makeRandom(seed) {
  let state = BigInt.asUintN(64, BigInt(seed));
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z = z ^ (z >> 31n);
    return Number(z >> 11n) / 2 ** 53;  // [0, 1)
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    console.error(`ort_time: error: onnxruntime-node is not installed (run 'npm install' in ${__dirname}): ${e.message}`);
    process.exit(1);
  }
  if (!fs.existsSync(o.model)) {
    console.error(`ort_time: error: ${o.model}: no such file`);
    process.exit(1);
  }
  const sessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const session = await ort.InferenceSession.create(o.model, sessionOptions);

  const random = makeRandom(o.seed);
  const feeds = {};
  const described = [];
  const metas = session.inputMetadata || session.inputNames.map((name) => ({ name }));
  if (o.in && metas.length !== 1) throw new Error(`--in needs a single-input model, this one has ${metas.length}`);
  for (const meta of metas) {
    if (!meta.isTensor || meta.type !== 'float32')
      throw new Error(`input '${meta.name}' is not a float32 tensor (type ${meta.type})`);
    const shape = meta.shape.map((d) => {
      if (typeof d !== 'number' || d < 1) throw new Error(`input '${meta.name}' has a dynamic dimension '${d}'`);
      return d;
    });
    const size = shape.reduce((a, b) => a * b, 1);
    let data;
    if (o.in) {
      const bytes = fs.readFileSync(o.in);
      if (bytes.length !== size * 4)
        throw new Error(`${o.in} holds ${bytes.length} bytes, input '${meta.name}' [${shape}] needs ${size * 4}`);
      data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    } else {
      data = new Float32Array(size);
      for (let i = 0; i < size; ++i) data[i] = 2 * random() - 1;
    }
    feeds[meta.name] = new ort.Tensor('float32', data, shape);
    described.push(`${meta.name}[${shape.join('x')}]`);
  }

  const version = (() => {
    try {
      return require('onnxruntime-node/package.json').version;
    } catch {
      return 'unknown';
    }
  })();
  console.log(`ort_model ${o.model} inputs ${described.join(' ')} threads ${o.threads} ort ${version}`);

  let results;
  for (let i = 0; i < o.warmup; ++i) results = await session.run(feeds);
  const times = [];
  for (let i = 0; i < o.repeat; ++i) {
    const t0 = process.hrtime.bigint();
    results = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(`ort_latency_ms ${median(times).toFixed(4)}`);
  console.log(
    `ort_latency_stats min=${Math.min(...times).toFixed(4)} mean=${mean.toFixed(4)} max=${Math.max(...times).toFixed(4)} repeat=${o.repeat}`);

  const first = session.outputNames[0];
  const out = results[first];
  if (o.out) {
    fs.writeFileSync(o.out, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
    console.log(`ort_output ${first} [${out.dims.join('x')}] -> ${path.resolve(o.out)}`);
  }
  if (o.expect) {
    const bytes = fs.readFileSync(o.expect);
    if (bytes.length !== out.data.length * 4)
      throw new Error(`${o.expect} holds ${bytes.length} bytes, output '${first}' has ${out.data.length} floats`);
    const want = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    let maxAbs = 0, scale = 0;
    for (let i = 0; i < want.length; ++i) {
      maxAbs = Math.max(maxAbs, Math.abs(out.data[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    console.log(`ort_compare max_abs=${maxAbs.toExponential(3)} max_rel=${(maxAbs / (scale || 1)).toExponential(3)}`);
  }
  await session.release();
  if (o.profile) await profileNodes(ort, o, sessionOptions, feeds);
}

// Per-node kernel times from ONNX Runtime's own profiler (a JSON trace file).
async function profileNodes(ort, o, sessionOptions, feeds) {
  const prefix = path.join(require('os').tmpdir(), `ort_time_profile_${process.pid}`);
  const session = await ort.InferenceSession.create(
      o.model, { ...sessionOptions, enableProfiling: true, profileFilePrefix: prefix });
  for (let i = 0; i < o.warmup + o.repeat; ++i) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const dir = path.dirname(prefix);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json'));
  if (files.length !== 1) throw new Error(`found ${files.length} profile files for ${prefix}*.json, expected 1`);
  const file = path.join(dir, files[0]);
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const nodes = new Map();  // name -> {op, times}, in first-seen (execution) order
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) nodes.set(name, { op: (e.args && e.args.op_name) || '?', times: [] });
    nodes.get(name).times.push(e.dur / 1000);
  }
  let total = 0;
  for (const [name, n] of nodes) {
    const m = median(n.times.slice(o.warmup));  // the warm-up runs are profiled too
    total += m;
    console.log(`ort_node ${name} ${n.op} ${m.toFixed(4)}`);
  }
  console.log(`ort_nodes_total_ms ${total.toFixed(4)}`);
}

main().catch((e) => {
  console.error(`ort_time: error: ${String(e && e.message ? e.message : e).split('\n')[0]}`);
  process.exit(1);
});
