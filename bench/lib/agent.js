/**
 * The agent as the benches run it: its own process (`node dist/main.js`),
 * as in production, resolved once it prints its ready line.
 */
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

/** Starts an agent on natsUrl with extra env; resolves {child, id, readyMs}. */
function startAgent(natsUrl, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
      env: { PATH: process.env.PATH, NATS_URL: natsUrl, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('agent not ready in 20 s')), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('webrtc-agent ready:'));
      if (line) {
        clearTimeout(timer);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        resolve({ child, id: /id=(\S+)/.exec(line)[1], readyMs: ms });
      }
    });
    child.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
  });
}

module.exports = { startAgent };
