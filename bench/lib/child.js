/**
 * Helpers shared by the benches: building the C tools of bench/tools, and
 * child processes whose stdout is read as JSON lines.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { createInterface } = require('node:readline');
const fs = require('node:fs');
const path = require('node:path');

// Included by the C tools (not linked): a change to one rebuilds them all.
const HEADERS = ['common.h', 'gen_pacer.h', 'sink_stats.h'].map((h) => path.join(__dirname, '..', 'tools', h));

/** Builds bench/tools/<name>.c into binDir/<name> when the binary is older than its source or a shared header. */
function buildCTools(binDir, names) {
  fs.mkdirSync(binDir, { recursive: true });
  for (const t of names) {
    const src = path.join(__dirname, '..', 'tools', `${t}.c`);
    const bin = path.join(binDir, t);
    if (fs.existsSync(bin) && [src, ...HEADERS].every((f) => fs.statSync(bin).mtimeMs >= fs.statSync(f).mtimeMs)) continue;
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { stdio: 'inherit' });
  }
}

/** A child process whose stdout is read as JSON lines. */
class Child {
  constructor(cmd, args, { name, env, stderrFile } = {}) {
    this.name = name ?? path.basename(cmd);
    const errFd = stderrFile ? fs.openSync(stderrFile, 'a') : 'pipe';
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', errFd], env: env ?? process.env });
    if (typeof errFd === 'number') fs.closeSync(errFd);
    this.pid = this.child.pid;
    this.lines = [];
    this.waiters = [];
    this.stderr = '';
    this.exitCode = undefined;
    this.exited = new Promise((resolve) => {
      // 'close': the process has exited and its stdout has been read to the end.
      this.child.once('close', (code, sig) => {
        this.exitCode = code ?? sig;
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.name} exited (${this.exitCode}): ${this.stderr.slice(-400)}`));
        resolve(this.exitCode);
      });
    });
    this.child.once('error', (err) => {
      this.stderr += String(err.message);
    });
    this.child.stdin.on('error', () => {});
    this.child.stderr?.on('data', (d) => {
      if (this.stderr.length < 20000) this.stderr += d;
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w.resolve(line);
      else this.lines.push(line);
    });
  }

  /** The next stdout line, within timeoutMs. */
  nextLine(timeoutMs) {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} exited (${this.exitCode}): ${this.stderr.slice(-400)}`));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (line) => {
          clearTimeout(t);
          resolve(line);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.name}: no output within ${timeoutMs} ms: ${this.stderr.slice(-400)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The next stdout line parsed as JSON, within timeoutMs. */
  async nextJson(timeoutMs) {
    const line = await this.nextLine(timeoutMs);
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`${this.name}: not JSON: ${line.slice(0, 200)}`);
    }
  }

  send(line) {
    this.child.stdin.write(`${line}\n`);
  }

  get alive() {
    return this.exitCode === undefined;
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code. */
  async stop(graceMs = 3000) {
    if (!this.alive) return this.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
    return this.exitCode;
  }
}

module.exports = { Child, buildCTools };
