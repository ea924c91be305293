#!/usr/bin/env node
/**
 * The straightforward Node.js relay (fanout bench config e): one `dgram`
 * socket receives, and every datagram is sent to each of N destinations from
 * that same socket with `socket.send(msg, port, ip)`. It is what a Node
 * developer writes first; it runs in its own process so the bench can read its
 * CPU time from /proc.
 *
 *   node bench/lib/dgram-relay.js --dests P1,P2,... [--dest-ip 127.0.0.1]
 *        [--listen-ip 127.0.0.1] [--port 0] [--rcvbuf 4194304]
 *        [--rewrite-ssrc] [--duration 600]
 *
 * By default the bytes are forwarded untouched (the same Buffer goes to every
 * destination). --rewrite-ssrc gives each destination its own SSRC, which in
 * JavaScript needs a copy of the packet per destination (send() is
 * asynchronous, so the Buffer must not change until it has gone).
 *
 * Prints {"ready":true,"port":P} on stdout once bound. Ends on SIGINT/SIGTERM,
 * when its stdin, if a pipe, closes (the parent went away) or after --duration seconds,
 * printing one JSON line with its counters and process.cpuUsage().
 */
'use strict';
const dgram = require('node:dgram');
const { fstatSync } = require('node:fs');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    dests: { type: 'string' },
    'dest-ip': { type: 'string', default: '127.0.0.1' },
    'listen-ip': { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    rcvbuf: { type: 'string', default: String(4 << 20) },
    'rewrite-ssrc': { type: 'boolean', default: false },
    duration: { type: 'string', default: '600' },
  },
});
if (!values.dests) {
  process.stderr.write('usage: dgram-relay.js --dests P1,P2,... [--dest-ip IP] [--port P] [--rcvbuf B] [--rewrite-ssrc]\n');
  process.exit(2);
}
const dests = values.dests.split(',').map(Number);
const destIp = values['dest-ip'];
const rewrite = values['rewrite-ssrc'];

let received = 0;
let sent = 0;
let sendErrors = 0;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();

// recvBufferSize is a plain SO_RCVBUF (capped by net.core.rmem_max), the same
// setting c_forwarder uses.
const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: Number(values.rcvbuf) });
const onSent = (err) => {
  if (err) sendErrors++;
};

sock.on('message', (msg) => {
  received++;
  if (rewrite && msg.length >= 12) {
    for (let i = 0; i < dests.length; i++) {
      const copy = Buffer.from(msg);
      copy.writeUInt32BE((0x5f000000 + i) >>> 0, 8);
      sock.send(copy, dests[i], destIp, onSent);
    }
  } else {
    for (let i = 0; i < dests.length; i++) sock.send(msg, dests[i], destIp, onSent);
  }
  sent += dests.length;
});
sock.on('error', (err) => {
  process.stderr.write(`dgram-relay: ${err.message}\n`);
  finish(1);
});

sock.bind(Number(values.port), values['listen-ip'], () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: sock.address().port, dests: dests.length, rcvbuf: sock.getRecvBufferSize() })}\n`);
});

let done = false;
function finish(code = 0) {
  if (done) return;
  done = true;
  const cpu = process.cpuUsage(cpu0);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(
    `${JSON.stringify({
      tool: 'dgram-relay',
      dests: dests.length,
      rewrite_ssrc: rewrite,
      received,
      sent, // send() calls made; sendErrors counts the ones that failed
      send_errors: sendErrors,
      elapsed_s: +elapsed.toFixed(3),
      utime_us: cpu.user,
      stime_us: cpu.system,
      cpu_us: cpu.user + cpu.system,
      cpu_us_per_sent: sent ? +((cpu.user + cpu.system) / sent).toFixed(4) : 0,
    })}\n`,
    () => process.exit(code),
  );
  sock.close();
}
process.on('SIGINT', () => finish());
process.on('SIGTERM', () => finish());
// Watch stdin only when it is a pipe (the bench harness keeps one open).
if (fstatSync(0).isFIFO()) {
  process.stdin.on('end', () => finish());
  process.stdin.on('error', () => finish());
  process.stdin.resume();
}
setTimeout(() => finish(), Number(values.duration) * 1000).unref();
