#!/usr/bin/env node
/**
 * Send-side bandwidth estimation bench: ns per packet of what a WebRTC
 * transport with transport-cc towards its subscriber adds (the
 * transport-wide number written while the packet is copied, the send
 * history entry, and, per packet reported, parsing the feedback and running
 * the estimator on it) against the copy + extension strip every sent
 * packet pays without it, in the same run. The whole agent's figure is
 * bench/fanout.js's at/as pair.
 *
 *   node bench/bwe.js [--packets 1000000] [--runs 5] [--help]
 *
 * Builds bench/tools/bwe_bench.cc with addon/rtp and addon/bwe into
 * bench/out/bin/ (g++ -O2), runs it once, prints its JSON lines and a
 * markdown table of the medians.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseNumberArgs } = require('./lib/number-args');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bench/out/bin');

function build() {
  fs.mkdirSync(BIN, { recursive: true });
  const bin = path.join(BIN, 'bwe_bench');
  const cc = (dir) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.cc')).map((f) => path.join(ROOT, dir, f));
  const sources = [path.join(ROOT, 'bench/tools/bwe_bench.cc'), ...cc('addon/rtp'), ...cc('addon/bwe')];
  execFileSync('g++', ['-std=c++17', '-O2', '-fno-exceptions', '-Wall', '-Wextra', '-I', path.join(ROOT, 'addon'), ...sources, '-o', bin], { stdio: 'inherit' });
  return bin;
}

function main() {
  const opts = parseNumberArgs(process.argv.slice(2), { packets: 1000000, runs: 5 }, { name: 'bwe', usage: 'usage: node bench/bwe.js [--packets N] [--runs R]' });
  const bin = build();
  const out = execFileSync(bin, [String(opts.packets), String(opts.runs)], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l));
  for (const r of rows) console.log(JSON.stringify(r));
  const get = (op) => rows.find((r) => r.op === op).ns_per_packet;
  const base = get('copy+strip (baseline)');
  const num = get('copy+number+history');
  const fb = get('feedback per reported packet');
  console.log(`\n| median of ${opts.runs} runs of ${opts.packets} packets | copy + strip (baseline) | copy + number + history | feedback per reported packet | added per packet |`);
  console.log('|---|---|---|---|---|');
  console.log(`| ns | ${base.toFixed(1)} | ${num.toFixed(1)} | ${fb.toFixed(1)} | ${(num - base + fb).toFixed(1)} |`);
}

main();
