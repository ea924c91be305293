/**
 * Debian's Firefox ESR, headless, driven by puppeteer-core over WebDriver
 * BiDi, inside a network namespace the test makes (test/helpers/netns.ts:
 * a veth pair with addresses unique to this run, the namespace's default
 * route through the host side). The agent listens on
 * and announces the host side's address (`hostIp`); Firefox, which gathers
 * no loopback candidate, reaches it over the veth. Everything is removed on
 * teardown and, should the test process die, on its exit.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { browserEnv } from './chromium';
import { makeNetns } from './netns';

export interface FirefoxNetns {
  /** The host side of the veth: where the agent must listen and what it announces. */
  hostIp: string;
  newPage: () => Promise<Page>;
  browser: Browser;
}

export async function openFirefox(t: Test): Promise<FirefoxNetns> {
  const { name: ns, hostIp, nsIp } = makeNetns(t, {});
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
