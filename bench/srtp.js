#!/usr/bin/env node
/**
 * SRTP bench: ns per protect and unprotect of one RTP packet with addon/srtp
 * (OpenSSL EVP), against a plain memcpy of the same packet in the same run.
 *
 *   node bench/srtp.js [--packets 200000] [--runs 5] [--size 1200] [--help]
 *
 * Builds bench/tools/srtp_bench.cc with addon/srtp/*.cc into bench/out/bin/
 * (g++ -O2, linked with Debian's libcrypto: libssl-dev), runs it once (it
 * does every run itself, interleaving the baseline with each profile), and
 * prints its JSON lines followed by a markdown table of the medians. Each
 * protect/unprotect figure includes the memcpy of the packet, as the agent
 * copies before it rewrites and protects.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseNumberArgs } = require('./lib/number-args');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bench/out/bin');

function parseArgs(argv) {
  return parseNumberArgs(argv, { packets: 200000, runs: 5, size: 1200 }, { name: 'srtp', usage: 'usage: node bench/srtp.js [--packets N] [--runs R] [--size BYTES]' });
}

function build() {
  fs.mkdirSync(BIN, { recursive: true });
  const bin = path.join(BIN, 'srtp_bench');
  const srtpDir = path.join(ROOT, 'addon/srtp');
  const sources = [
    path.join(ROOT, 'bench/tools/srtp_bench.cc'),
    ...fs
      .readdirSync(srtpDir)
      .filter((f) => f.endsWith('.cc'))
      .map((f) => path.join(srtpDir, f)),
  ];
  execFileSync(
    'g++',
    ['-std=c++17', '-O2', '-fno-exceptions', '-Wall', '-Wextra', '-I', path.join(ROOT, 'addon'),
      ...sources, '-lcrypto', '-o', bin],
    { stdio: 'inherit' },
  );
  return bin;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const bin = build();
  const out = execFileSync(bin, [String(opts.packets), String(opts.runs), String(opts.size)], {
    encoding: 'utf8',
  });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const r of rows) console.log(JSON.stringify(r));

  const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
  console.log(`\n| ${opts.size}-byte RTP packet (median of ${opts.runs} runs of ${opts.packets}) | memcpy (baseline) | protect | unprotect |`);
  console.log('|---|---|---|---|');
  const profiles = [...new Set(rows.map((r) => r.profile))];
  for (const p of profiles) {
    const get = (op) => rows.find((r) => r.profile === p && r.op === op).ns_per_packet;
    console.log(`| ${p} | ${Math.round(get('memcpy'))} ns | ${us(get('protect'))} | ${us(get('unprotect'))} |`);
  }
}

main();
