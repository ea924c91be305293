/**
 * The shaped-link scene the adaptation tests share: an agent that listens on
 * (and announces) the host end of a test network namespace's veth pair, a
 * Chromium publisher `p` and subscriber A on loopback, and subscriber B, a
 * second Chromium inside the namespace, behind the host end's `tc tbf`
 * shaper. A and B subscribe to the whole publication (`from: "p-1"`). The
 * test steps the link's rate and asserts on the agent's getStats and B's
 * decoded frames. Run as root (it makes the namespace).
 */
import type { Test } from 'tap';
import type { Page } from 'playwright-core';
import { makeNetns, type Netns } from '../../bench/lib/netns';
import { waitFor } from './agent';
import { openBrowser, openBrowserIn } from './chromium';
import { controllerAgent, decodedVideo, publicationSubscriber, type Call, type ControllerEvent } from './webrtc';

/** The qdisc of a link of `rate` (tc's units: '3mbit', '400kbit'). */
export const shape = (rate: string): string[] => ['tbf', 'rate', rate, 'burst', '16kb', 'latency', '300ms'];

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Puts the publisher's tracks on transport `transportId` of the node `call` reaches (simulcastPublisher, svcPublisher). */
export type Publish<R> = (t: Test, page: Page, call: Call, events: ControllerEvent[], controller: string, transportId: string) => Promise<R>;

export interface ShapedLink<R> {
  ns: Netns;
  /** Calls the node's methods. */
  on: Call;
  /** What `publish` returned. */
  published: R;
  /** The subscribers' pages: A on loopback, B behind the shaped link. */
  a: Page;
  b: Page;
  /** Replaces the link's qdisc with shape(rate); returns when (Date.now()). */
  setRate(rate: string): number;
  /** The node's getStats. */
  stats(): Promise<any>;
  /** The layers of subscriber `id`'s (a, b) video subscription `<id>-1`. */
  layers(id: string): Promise<any>;
  /** B's transport's bandwidth estimation stats. */
  bwe(): Promise<any>;
  /** waitFor, which on timeout first writes what the agent saw (layers, B's estimate, the layers' rates) as a comment. */
  until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void>;
  /**
   * Frames `page` decoded in each of the next `seconds` seconds (after
   * each, `each` runs), their mean and the last decodedVideo.
   */
  framesEachSecond(page: Page, seconds: number, each?: () => Promise<void>): Promise<{ perSecond: number[]; fps: number; last: { frames: number; width: number; fps: number } }>;
  /** Destroys the three transports (B, A, the publisher's). */
  close(): Promise<void>;
}

/**
 * Sets the scene at `rate` on the link (room `room`, controller `controller`),
 * with `publish` on the publisher's page; B's transport is `b`.
 */
export async function shapedLink<R>(t: Test, opts: { controller: string; room: string; rate: string; publish: Publish<R> }): Promise<ShapedLink<R>> {
  const { controller } = opts;
  const ns = makeNetns(t, shape(opts.rate));
  const { events, nodeFor } = await controllerAgent(t, controller, { WEBRTC_LISTEN_IP: ns.hostIp, WEBRTC_ANNOUNCED_IP: ns.hostIp });
  const on = await nodeFor(opts.room, 'p');
  const { newPage } = await openBrowser(t);
  const published = await opts.publish(t, await newPage(), on, events, controller, 'p');
  const a = await newPage();
  await publicationSubscriber(t, a, on, events, controller, 'a');
  const b = await (await openBrowserIn(t, ns.chromium)).newPage();
  await publicationSubscriber(t, b, on, events, controller, 'b');

  const stats = async () => on('getStats', {});
  const layersIn = (st: any, id: string) => st.subscriptions.find((x: { id: string }) => x.id === `${id}-1`).layers;
  const bweIn = (st: any) => st.transports.find((x: { id: string }) => x.id === 'b').bwe;
  const state = async () => {
    const st = await stats();
    const tr = st.transports.find((x: { id: string }) => x.id === 'b');
    const layer = (id: string) => {
      const l = layersIn(st, id);
      return `${id}: spatial ${l.currentSpatial} -> ${l.targetSpatial}, temporal ${l.currentTemporal} (${l.reason})`;
    };
    const rates = st.tracks
      ?.filter((x: { id: string }) => x.id.startsWith('p-1'))
      .map((x: { id: string; bitrate?: number }) => `${x.id} ${x.bitrate}`)
      .join(', ');
    return `${layer('a')}; ${layer('b')}; b's estimate ${tr.bwe?.estimateBps}, desired ${tr.desiredBitrate}, sent ${tr.bwe?.sentBps}, probing ${tr.bwe?.probing} ${JSON.stringify(tr.bwe?.probes)}; layers ${rates}`;
  };

  return {
    ns,
    on,
    published,
    a,
    b,
    setRate: (rate) => {
      ns.reshape(shape(rate));
      return Date.now();
    },
    stats,
    layers: async (id) => layersIn(await stats(), id),
    bwe: async () => bweIn(await stats()),
    until: async (cond, ms, what) => {
      try {
        await waitFor(cond, ms, what);
      } catch (err) {
        t.comment(await state());
        throw err;
      }
    },
    framesEachSecond: async (page, seconds, each) => {
      const perSecond: number[] = [];
      let last = await decodedVideo(page);
      for (let i = 0; i < seconds; i++) {
        await sleep(1000);
        const now = await decodedVideo(page);
        perSecond.push(now.frames - last.frames);
        last = now;
        await each?.();
      }
      return { perSecond, fps: perSecond.reduce((x, y) => x + y, 0) / perSecond.length, last };
    },
    close: async () => {
      for (const transportId of ['b', 'a', 'p']) await on('destroyTransport', { transportId });
    },
  };
}
