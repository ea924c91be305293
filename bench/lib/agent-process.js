/**
 * The agent as its own process (`node dist/main.js`), for benches and
 * scripts: started with a clean environment plus `env`, resolved at its
 * ready line.
 *
 *   const a = await startAgentProcess({ NATS_URL: url, AGENT_PRERUN_NODES: '1' });
 *   a.id, a.metrics (URL of /metrics, or null), a.child
 *   await stopAgentProcess(a.child);   // SIGTERM, resolves on exit
 *
 * METRICS_PORT defaults to 0 (several agents may run at once).
 */
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function startAgentProcess(env, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`agent not ready in ${timeoutMs} ms`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('webrtc-agent ready:'));
      if (line) {
        clearTimeout(timer);
        const m = /metrics=(\S+)/.exec(line);
        resolve({ child, id: /id=(\S+)/.exec(line)[1], line, metrics: m ? m[1] : null });
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`agent exited ${c} before its ready line`));
    });
  });
}

function stopAgentProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

module.exports = { startAgentProcess, stopAgentProcess };
