/**
 * What the node's media objects (Transport, Track, Subscription) share: the
 * addon's functions, and the one place that records and ends them
 * (MediaRouter). A type only, so the object files do not import the router.
 */
import type { MediaNative } from '../media/native';
import type { Removed } from '../media/schemas';
import type { WebrtcNative } from '../webrtc/native';
import type { Subscription } from './Subscription';
import type { Track } from './Track';
import type { Transport } from './Transport';

export type MediaKind = 'audio' | 'video';

/** Every addon function the media objects call. */
export type RouterNative = MediaNative & WebrtcNative;

export interface RouterCore {
  readonly native: RouterNative;
  /** The track of this id (404 "no such track"). */
  track(id: string): Track;
  findSubscription(id: string): Subscription | undefined;
  /** Records an object just made natively. */
  added(o: Track | Subscription): void;
  /**
   * The close cascade, after the router removed objects natively: each
   * removed track's subscriptions end (slots park) and then the track, then
   * the other removed subscriptions, then `transport` if it was closed;
   * each object's 'close' fires once.
   */
  settle(removed: Removed, transport?: Transport): void;
}
