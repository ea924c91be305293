/**
 * Runs INSIDE a test's network namespace (`ip netns exec <ns> node this.js
 * <listen-ip>`): starts Debian's Firefox ESR headless with WebDriver BiDi and
 * fake media, serves a blank page on http://localhost (getUserMedia wants a
 * secure origin), and relays TCP from <listen-ip> to Firefox's BiDi port
 * (Firefox listens on the namespace's own loopback only). Prints one JSON
 * line {bidiPort (the relay's), pagePort, inner (Firefox's own BiDi port)}; ends Firefox when stdin closes or on SIGTERM.
 *
 * Why a namespace: Firefox gathers no 127.0.0.1 candidate, so it must reach
 * the agent over a real interface; a veth pair made by the test keeps that
 * traffic off the machine's own networks.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const listenIp = process.argv[2];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-firefox-'));
fs.writeFileSync(
  path.join(profile, 'user.js'),
  [
    'user_pref("media.navigator.streams.fake", true);',
    'user_pref("media.navigator.permission.disabled", true);',
    'user_pref("browser.shell.checkDefaultBrowser", false);',
    'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
    'user_pref("app.update.enabled", false);',
  ].join('\n') + '\n',
);

const ff = spawn('/usr/bin/firefox-esr', ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let ended = false;
function end(code) {
  if (ended) return;
  ended = true;
  try {
    ff.kill('SIGKILL');
  } catch {
    /* gone already */
  }
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGTERM', () => end(0));
process.stdin.on('end', () => end(0));
process.stdin.resume();
ff.on('exit', () => end(1));
const giveUp = setTimeout(() => {
  process.stderr.write('firefox: no BiDi endpoint within 30 s\n');
  end(1);
}, 30_000);

let buf = '';
const onOutput = (d) => {
  buf += d;
  const m = /WebDriver BiDi listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(buf);
  if (!m || !buf) return;
  buf = '';
  clearTimeout(giveUp);
  const bidi = Number(m[1]);
  const page = http.createServer((_q, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><html><body>webrtc-agent test page</body></html>');
  });
  page.listen(0, '127.0.0.1', () => {
    const relay = net.createServer((c) => {
      const up = net.connect(bidi, '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    relay.listen(0, listenIp, () => {
      process.stdout.write(JSON.stringify({ bidiPort: relay.address().port, pagePort: page.address().port, inner: bidi }) + '\n');
    });
  });
};
ff.stderr.on('data', onOutput);
ff.stdout.on('data', onOutput);
