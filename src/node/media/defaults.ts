/** The clock rate of a track that names none: 48 kHz audio (Opus), 90 kHz video. */
export function defaultClockRate(k: 'audio' | 'video'): number {
  return k === 'audio' ? 48000 : 90000;
}

/** The noise floor (-dBov) of audio levels read when speaker detection is off (config speakers.noiseFloor's default). */
export const DEFAULT_NOISE_FLOOR = 70;
