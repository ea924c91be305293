/**
 * Process and kernel counters from /proc, for the benches (Linux only).
 *
 *   cpuUs(pid)        utime + stime of the whole process (all threads), in us
 *   cpuTimes(pid)     {utimeUs, stimeUs, cpuUs}
 *   rssKiB(pid)       resident set size (VmRSS), KiB
 *   udpDrops(ports)   {port: drops} for local UDP sockets bound to those ports (/proc/net/udp)
 *   softnetDrops()    packets dropped by the per-CPU input backlog (/proc/net/softnet_stat)
 *   ksoftirqdUs()     CPU time of the ksoftirqd/N threads, us (softirq work deferred
 *                     out of the process that raised it)
 *   machineCpu()      {busyUs, totalUs} of the whole machine since boot (/proc/stat),
 *                     busy = everything but idle and iowait; diff two readings
 *
 * /proc/<pid>/stat counts in clock ticks (CLK_TCK, 100 on Linux: 10 ms), so a
 * reading is good to +-10 ms; measure windows of a second or more.
 */
'use strict';
const { readFileSync, readdirSync } = require('node:fs');
const { execFileSync } = require('node:child_process');

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 is the Linux value everywhere that matters */
}
const US_PER_TICK = 1e6 / clkTck;

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** utime and stime of a process (all its threads), in us. */
function cpuTimes(pid) {
  const f = statFields(pid);
  // After "pid (comm) ": f[0] is state (field 3), so utime (14) is f[11], stime (15) is f[12].
  const utimeUs = Number(f[11]) * US_PER_TICK;
  const stimeUs = Number(f[12]) * US_PER_TICK;
  return { utimeUs, stimeUs, cpuUs: utimeUs + stimeUs };
}

/** utime + stime of a process, in us. */
function cpuUs(pid) {
  return cpuTimes(pid).cpuUs;
}

/** Resident set size, KiB. */
function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/**
 * Receive-queue drops of the local UDP sockets bound to the given ports, from
 * /proc/net/udp (IPv4). Returns {port: drops}, summed over sockets sharing a
 * port; ports with no socket are absent.
 */
function udpDrops(ports) {
  const want = new Set(ports.map(Number));
  const out = {};
  const lines = readFileSync('/proc/net/udp', 'utf8').split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i].trim().split(/\s+/);
    if (cols.length < 13) continue;
    const port = parseInt(cols[1].split(':')[1], 16);
    if (!want.has(port)) continue;
    out[port] = (out[port] ?? 0) + Number(cols[cols.length - 1]);
  }
  return out;
}

/** Sum of a {port: drops} map. */
function sumDrops(map) {
  return Object.values(map).reduce((a, b) => a + b, 0);
}

/** Packets dropped by the per-CPU input backlog (netdev_max_backlog), all CPUs. */
function softnetDrops() {
  let sum = 0;
  for (const line of readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n')) {
    sum += parseInt(line.trim().split(/\s+/)[1], 16);
  }
  return sum;
}

let ksoftirqdPids = null;
/** CPU time of the ksoftirqd kernel threads, us (0 if none is visible). */
function ksoftirqdUs() {
  if (ksoftirqdPids === null) {
    ksoftirqdPids = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('ksoftirqd/')) ksoftirqdPids.push(Number(d));
      } catch {
        /* gone */
      }
    }
  }
  let sum = 0;
  for (const pid of ksoftirqdPids) {
    try {
      sum += cpuUs(pid);
    } catch {
      /* gone */
    }
  }
  return sum;
}

/** Machine-wide CPU time since boot, us: busy (all but idle and iowait) and total. */
function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + f[4];
  return { busyUs: (total - idle) * US_PER_TICK, totalUs: total * US_PER_TICK };
}

module.exports = { cpuUs, cpuTimes, rssKiB, udpDrops, sumDrops, softnetDrops, ksoftirqdUs, machineCpu, clkTck };
