#!/usr/bin/env node
/**
 * Audio-level bench: ns per packet of what the router adds for an audio
 * track whose RFC 6464 level is read (LevelMeter::OnPacket after the parse
 * the transport does anyway), against the parse alone and a per-subscriber
 * packet copy, in the same run. The fan-out bench measures the same in the
 * whole agent (config al against a); this isolates the read from the
 * noise of a shared machine.
 *
 *   node bench/audio-level.js [--packets 2000000] [--runs 5] [--help]
 *
 * Builds bench/tools/audio_level_bench.cc with addon/rtp and addon/audio
 * into bench/out/bin/ (g++ -O2), runs it, prints its JSON lines and a
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
  const bin = path.join(BIN, 'audio_level_bench');
  const sources = [path.join(ROOT, 'bench/tools/audio_level_bench.cc'), path.join(ROOT, 'addon/rtp/rtp_packet.cc'), path.join(ROOT, 'addon/audio/audio_level.cc')];
  execFileSync('g++', ['-std=c++17', '-O2', '-fno-exceptions', '-Wall', '-Wextra', '-I', path.join(ROOT, 'addon'), ...sources, '-o', bin], { stdio: 'inherit' });
  return bin;
}

function main() {
  const opts = parseNumberArgs(process.argv.slice(2), { packets: 2000000, runs: 5 }, { name: 'audio-level', usage: 'usage: node bench/audio-level.js [--packets N] [--runs R]' });
  const bin = build();
  const rows = execFileSync(bin, [String(opts.packets), String(opts.runs)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const r of rows) console.log(JSON.stringify(r));
  const get = (op) => rows.find((r) => r.op === op).ns_per_packet;
  const parse = get('parse');
  const level = get('parse+level_meter');
  console.log(`\n| median of ${opts.runs} runs of ${opts.packets} packets | parse (paid already) | parse + LevelMeter | the read alone | a 160-byte copy (per subscriber) |`);
  console.log('|---|---|---|---|---|');
  console.log(`| ns per packet | ${parse.toFixed(1)} | ${level.toFixed(1)} | ${(level - parse).toFixed(1)} | ${get('copy_160B').toFixed(1)} |`);
}

main();
