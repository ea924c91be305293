/**
 * Debian's Chromium, headless, driven by playwright-core, with pages served
 * from http://localhost (getUserMedia needs a secure origin).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

/**
 * The environment Chromium starts with: ours, less what the AddressSanitizer
 * run (scripts/asan-test.sh) sets for node processes. Chromium must not load
 * the ASan runtime (it is not built for it and aborts), and it is not what
 * that run checks: the addon inside the agent is.
 */
export function browserEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k === 'LD_PRELOAD' || k === 'ASAN_OPTIONS' || k === 'NODE_OPTIONS') continue;
    out[k] = v;
  }
  return out;
}

const PAGE = '<!doctype html><html><body>webrtc-agent test page</body></html>';

/**
 * Chromium inside a test's network namespace (test/helpers/netns.ts): its
 * loopback is not the host's, so the page is served by playwright itself
 * (a routed http://localhost/, still a secure origin for getUserMedia).
 */
export async function openBrowserIn(t: Test, executable: string): Promise<{ browser: Browser; newPage: () => Promise<Page> }> {
  const browser = await chromium.launch({ executablePath: executable, args: CHROMIUM_ARGS, env: browserEnv(), timeout: 30_000 });
  t.teardown(() => browser.close());
  return {
    browser,
    newPage: async () => {
      const page = await browser.newPage();
      await page.route('http://localhost/', (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
      await page.goto('http://localhost/');
      return page;
    },
  };
}

export async function openBrowser(t: Test): Promise<{ browser: Browser; newPage: () => Promise<Page> }> {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // playwright gives every launch a fresh, temporary profile of its own.
    args: CHROMIUM_ARGS,
    env: browserEnv(),
    timeout: 30_000,
  });
  t.teardown(async () => {
    await browser.close();
    server.close();
  });
  return {
    browser,
    newPage: async () => {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${port}/`);
      return page;
    },
  };
}
