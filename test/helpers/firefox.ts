/**
 * Debian's Firefox ESR, headless, driven by puppeteer-core over WebDriver
 * BiDi, inside a network namespace the test makes: a veth pair with
 * addresses unique to this run (a /30 in 10.64.0.0/10 picked at random),
 * the namespace's default route through the host side. The agent listens on
 * and announces the host side's address (`hostIp`); Firefox, which gathers
 * no loopback candidate, reaches it over the veth. Everything is removed on
 * teardown and, should the test process die, on its exit.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { browserEnv } from './chromium';

export interface FirefoxNetns {
  /** The host side of the veth: where the agent must listen and what it announces. */
  hostIp: string;
  newPage: () => Promise<Page>;
  browser: Browser;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A namespace with a veth to the host, unique to this run. Returns its names and addresses. */
export function makeNetns(t: Test): { ns: string; hostIp: string; nsIp: string } {
  const id = randomBytes(4).toString('hex');
  const ns = `wa-ff-${process.pid}-${id}`;
  const vh = `wfh${id}`;
  const vn = `wfn${id}`;
  const b = randomBytes(3);
  const base = `10.${64 + (b[0]! & 63)}.${b[1]}.${b[2]! & 0xfc}`;
  const [a, c, d] = base.split('.').slice(1).map(Number) as [number, number, number];
  const hostIp = `10.${a}.${c}.${d + 1}`;
  const nsIp = `10.${a}.${c}.${d + 2}`;
  const cleanup = () => {
    try {
      ip('netns', 'del', ns); // takes the veth pair with it
    } catch {
      /* not made, or gone */
    }
    try {
      ip('link', 'del', vh);
    } catch {
      /* gone with the namespace */
    }
  };
  process.once('exit', cleanup);
  t.teardown(cleanup);
  ip('netns', 'add', ns);
  ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vn);
  ip('link', 'set', vn, 'netns', ns);
  ip('addr', 'add', `${hostIp}/30`, 'dev', vh);
  ip('link', 'set', vh, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', vn);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', vn, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  ip('netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', hostIp);
  return { ns, hostIp, nsIp };
}

export async function openFirefox(t: Test): Promise<FirefoxNetns> {
  const { ns, hostIp, nsIp } = makeNetns(t);
  const helper = spawn('ip', ['netns', 'exec', ns, process.execPath, path.join(__dirname, 'firefox-netns.js'), nsIp], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: browserEnv(),
  });
  t.teardown(() => {
    helper.stdin!.end();
    helper.kill('SIGTERM');
  });
  const ports = await new Promise<{ bidiPort: number; pagePort: number; inner: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Firefox did not start within 40 s')), 40_000);
    createInterface({ input: helper.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    helper.once('exit', (code) => reject(new Error(`Firefox helper exited (${code})`)));
  });
  // Firefox's remote agent answers a handshake only for the Host it
  // listens on (400 otherwise): the relay's is named as that.
  const browser = await puppeteer.connect({
    browserWSEndpoint: `ws://${nsIp}:${ports.bidiPort}/session`,
    protocol: 'webDriverBiDi',
    headers: { Host: `127.0.0.1:${ports.inner}` },
  });
  t.teardown(() => browser.close().catch(() => {}));
  return {
    hostIp,
    browser,
    newPage: async () => {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${ports.pagePort}/`);
      return page;
    },
  };
}
