/** The clock rate of a track that names none: 48 kHz audio (Opus), 90 kHz video. */
export function defaultClockRate(k: 'audio' | 'video'): number {
  return k === 'audio' ? 48000 : 90000;
}
