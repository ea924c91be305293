#!/usr/bin/env node
/**
 * Transport-wide feedback bench: ns per packet of what a publishing WebRTC
 * transport does for transport-cc (find the transport-wide number in the
 * header extension, TwccFeedback::OnPacket, and the feedback it builds),
 * against parse + ReceiveStats::OnPacket (paid per packet already) in the
 * same run.
 *
 *   node bench/twcc.js [--packets 1000000] [--runs 5] [--help]
 *
 * Builds bench/tools/twcc_bench.cc with addon/rtp/*.cc into bench/out/bin/
 * (g++ -O2), runs it once (it interleaves the baseline with the measured
 * path in every run), and prints its JSON lines and a markdown table of the
 * medians.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseNumberArgs } = require('./lib/number-args');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bench/out/bin');

function parseArgs(argv) {
  return parseNumberArgs(argv, { packets: 1000000, runs: 5 }, { name: 'twcc', usage: 'usage: node bench/twcc.js [--packets N] [--runs R]' });
}

function build() {
  fs.mkdirSync(BIN, { recursive: true });
  const bin = path.join(BIN, 'twcc_bench');
  const rtpDir = path.join(ROOT, 'addon/rtp');
  const sources = [
    path.join(ROOT, 'bench/tools/twcc_bench.cc'),
    ...fs
      .readdirSync(rtpDir)
      .filter((f) => f.endsWith('.cc'))
      .map((f) => path.join(rtpDir, f)),
  ];
  execFileSync('g++', ['-std=c++17', '-O2', '-fno-exceptions', '-Wall', '-Wextra', '-I', path.join(ROOT, 'addon'), ...sources, '-o', bin], {
    stdio: 'inherit',
  });
  return bin;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const bin = build();
  const out = execFileSync(bin, [String(opts.packets), String(opts.runs)], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const r of rows) console.log(JSON.stringify(r));
  const get = (op) => rows.find((r) => r.op === op);
  const base = get('parse+receive_stats').ns_per_packet;
  const twcc = get('parse+extension+twcc_feedback+build').ns_per_packet;
  const fb = get('feedback');
  console.log(`\n| median of ${opts.runs} runs of ${opts.packets} packets | parse + ReceiveStats (baseline) | parse + extension + TwccFeedback + Build | ratio |`);
  console.log('|---|---|---|---|');
  console.log(`| ns per packet | ${base.toFixed(1)} | ${twcc.toFixed(1)} | ${(twcc / base).toFixed(2)} |`);
  console.log(`\nfeedback: ${fb.packets_per_feedback.toFixed(1)} packets and ${fb.bytes_per_feedback.toFixed(1)} bytes per packet built`);
}

main();
