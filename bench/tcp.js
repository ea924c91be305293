#!/usr/bin/env node
/**
 * ICE-TCP bench: ns per packet on the TCP path (writev of the RFC 4571
 * header and packet, read, Rfc4571Framer) against the UDP path (sendto,
 * recvmmsg) on 127.0.0.1, in the same run, and the framer alone.
 *
 *   node bench/tcp.js [--packets 200000] [--runs 5] [--size 1200] [--help]
 *
 * Builds bench/tools/tcp_bench.cc with addon/net/rfc4571_framer.cc into
 * bench/out/bin/ (g++ -O2), runs it once (it interleaves the paths run by
 * run), prints its JSON lines and a markdown table of the medians.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseNumberArgs } = require('./lib/number-args');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bench/out/bin');

function parseArgs(argv) {
  return parseNumberArgs(argv, { packets: 200000, runs: 5, size: 1200 }, { name: 'tcp', usage: 'usage: node bench/tcp.js [--packets N] [--runs R] [--size BYTES]' });
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(BIN, { recursive: true });
  const bin = path.join(BIN, 'tcp_bench');
  execFileSync(
    'g++',
    ['-std=c++17', '-O2', '-fno-exceptions', '-Wall', '-Wextra', '-I', path.join(ROOT, 'addon'),
      path.join(ROOT, 'bench/tools/tcp_bench.cc'), path.join(ROOT, 'addon/net/rfc4571_framer.cc'), '-o', bin],
    { stdio: 'inherit' },
  );
  const out = execFileSync(bin, [String(opts.packets), String(opts.runs), String(opts.size)], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l));
  for (const r of rows) console.log(JSON.stringify(r));
  const get = (p) => rows.find((r) => r.path === p).ns_per_packet;
  console.log(`\n| ${opts.size}-byte packet, median of ${opts.runs} runs of ${opts.packets} | UDP (baseline) | TCP | of which the framer |`);
  console.log('|---|---|---|---|');
  console.log(`| send + receive, ns per packet | ${get('udp')} | ${get('tcp')} (${(get('tcp') / get('udp')).toFixed(2)}x) | ${get('framer')} |`);
}

main();
