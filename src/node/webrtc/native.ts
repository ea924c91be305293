/**
 * The typed face of the addon's WebRTC functions (ICE-lite, DTLS-SRTP). A
 * WebRTC transport lives in the thread's router beside the plain ones, so
 * the media functions (mediaPublish, mediaSubscribe, mediaCloseTransport ...)
 * work on it unchanged; these add what only WebRTC needs. Like those, each
 * takes one options object; only src/node/router calls them.
 */

export interface ListenInfo {
  ip: string;
  port: number;
  fingerprint: { algorithm: string; value: string };
  /** The ICE-TCP port, when open. */
  tcpPort?: number;
}

export type WebrtcEventType = 'ice-connected' | 'ice-disconnected' | 'dtls-connected' | 'connected' | 'failed' | 'closed';

export interface WebrtcNative {
  /** Opens (once per thread; later calls return the same) the thread's WebRTC UDP port and DTLS certificate. */
  webrtcListen(o: { listenIp: string; announcedIp: string; portMin: number; portMax: number }): ListenInfo;
  /** Opens the thread's ICE-TCP port beside the UDP one (after webrtcListen); its number. */
  webrtcListenTcp(o: { listenIp: string; portMin: number; portMax: number; maxConnections: number; idleTimeoutMs: number }): number;
  webrtcCreateTransport(o: { transportId: string; iceUfrag: string; icePwd: string; consentTimeoutMs: number }): void;
  webrtcSetRemote(o: { transportId: string; iceUfrag: string; fingerprintAlgorithm: string; fingerprintValue: string; dtlsRole: 'client' | 'server' }): void;
  /** How a published track's packets are recognised: by SSRC when non-zero, else by the MID (and RID) header extensions. */
  webrtcBindTrack(o: { trackId: string; mid: string; rid: string; midExtId: number; ridExtId: number; ssrc: number }): void;
  /** The transport-wide sequence number extension's id on a publishing transport (0: none): transport-cc feedback is sent for it. */
  webrtcSetTransportCc(o: { transportId: string; extId: number }): void;
  /**
   * Send-side bandwidth estimation on a transport the agent sends on: the
   * transport-wide sequence number's id in the answer, and the estimator's
   * bounds (bits/s). Once per transport.
   */
  webrtcSetSendTransportCc(o: { transportId: string; extId: number; initialBps: number; minBps: number; maxBps: number; probing: boolean }): void;
  /** One callback per thread. */
  webrtcOnEvent(callback: (transportId: string, type: string, detail: string) => void): void;
}
