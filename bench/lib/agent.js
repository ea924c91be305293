/**
 * Starts an agent process for a bench (dist/main.js, on the given NATS, no
 * cluster, WebRTC on 127.0.0.1, warnings only, stderr to <logDir>/<name>.log)
 * and waits for its ready line (20 s at most).
 *
 *   startAgent(natsUrl, name, logDir, env)   env: more variables, overriding these
 *
 * Resolves with the Child; its readyLine is the agent's ready line (the id,
 * and `metrics=<url>`: the metrics endpoint is on a port the system picks).
 */
'use strict';
const path = require('node:path');
const { Child } = require('./child');

const ROOT = path.resolve(__dirname, '..', '..');

async function startAgent(natsUrl, name, logDir, env = {}) {
  const logFile = path.join(logDir, `${name}.log`);
  const ch = new Child(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    name,
    stderrFile: logFile,
    env: {
      PATH: process.env.PATH,
      NATS_URL: natsUrl,
      LOG_LEVEL: 'warn',
      AGENT_ID: name,
      CLUSTER_ENABLED: 'false',
      WEBRTC_LISTEN_IP: '127.0.0.1',
      // Several agents may run at once: the metrics endpoint on a port the system picks.
      METRICS_PORT: '0',
      ...env,
    },
  });
  for (const end = Date.now() + 20000; Date.now() < end;) {
    const line = await ch.nextLine(end - Date.now());
    if (line.startsWith('webrtc-agent ready:')) {
      ch.readyLine = line;
      return ch;
    }
  }
  throw new Error(`${name} not ready; see ${logFile}`);
}

module.exports = { startAgent };
