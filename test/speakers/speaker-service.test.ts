/**
 * SpeakerService as a unit: it learns audio tracks from the node threads'
 * track notices (TrackNotice, with the publish's controller and owner), not
 * from onTrackUpdate events, and decides on the levels the nodes report. A
 * plain EventEmitter stands in for the NodeManager (only its events are
 * used); the clock is the test's.
 */
import { EventEmitter } from 'node:events';
import t from 'tap';
import type { NodeManager } from '../../src/pool/NodeManager';
import { SpeakerService, type SpeakerUpdate } from '../../src/speakers/SpeakerService';

const OPTS = { intervalMs: 100, activeSetIntervalMs: 0, windowMs: 1000, activeCount: 3, switchMargin: 6, holdMs: 500, minActivity: 3 };

t.test('tracks come from track notices: audio only, per controller, removed by their node', async (t) => {
  const nodes = new EventEmitter();
  const s = new SpeakerService(nodes as unknown as NodeManager, OPTS);
  t.teardown(() => s.close());
  const updates: Array<[string, SpeakerUpdate]> = [];
  s.on('update', (c, u) => updates.push([c, u]));
  const published = (trackId: string, kind: string, controller: string, owner?: string) => ({ type: 'published', trackId, kind, mediaFormat: {}, controller, ...(owner ? { owner } : {}) });
  // An onTrackUpdate event alone no longer makes a source.
  nodes.emit('nodeEvent', 'n1', { controller: 'c1', name: 'onTrackUpdate', payload: { transportId: 't0', update: { type: 'track-added', trackId: 't0-0', direction: 'in', mediaType: 'audio' } } });
  t.equal(s.source('t0-0'), undefined, 'not from onTrackUpdate');
  nodes.emit('trackNotice', 'n1', published('t1-0', 'audio', 'c1', 'alice'));
  nodes.emit('trackNotice', 'n2', published('t2-0', 'audio', 'c1', 'bob'));
  nodes.emit('trackNotice', 'n2', published('t2-1', 'video', 'c1', 'bob'));
  t.same(s.source('t1-0'), { trackId: 't1-0', nodeId: 'n1', controller: 'c1', owner: 'alice' });
  t.equal(s.source('t2-1'), undefined, 'video takes no part');
  t.equal(s.detector('c1')?.size, 2, "one room: the controller's two audio tracks, on two nodes");

  let now = 0;
  for (let i = 0; i < 5; i++) {
    now += 100;
    nodes.emit('nodeLevels', 'n2', { intervalMs: 100, levels: ['t2-0', 5, 200] }); // 40 dB above the floor
    nodes.emit('nodeLevels', 'n1', { intervalMs: 100, levels: ['t2-0', 5, 999] }); // not n1's track: ignored
    s.tick(now);
  }
  t.same(updates, [['c1', { type: 'dominant-speaker', trackId: 't2-0', owner: 'bob', previous: null }]], 'bob speaks: dominant');

  nodes.emit('trackNotice', 'n1', { type: 'removed', trackId: 't2-0' });
  t.ok(s.source('t2-0'), "a removal from another node than the track's is ignored");
  nodes.emit('trackNotice', 'n2', { type: 'removed', trackId: 't2-0' });
  t.equal(s.source('t2-0'), undefined);
  nodes.emit('trackNotice', 'n1', { type: 'removed', trackId: 't1-0' });
  t.same(updates.at(-1), ['c1', { type: 'dominant-speaker', trackId: null, previous: 't2-0' }], "the room's last audio went: nobody dominant");
  t.equal(s.detector('c1'), undefined);
});
