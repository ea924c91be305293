/**
 * Which source each of a subscriber's speaker slots should carry, pure: the
 * slots' current sources and the wanted ones (the most active speakers,
 * most active first, as many as there are slots or fewer) in, the new
 * source per slot out. A slot keeps its source while it is wanted (two
 * speakers trading places swap nothing); a slot whose source is no longer
 * wanted (or that has none: '') takes the most active wanted source no slot
 * holds; with fewer wanted sources than slots, the rest keep what they have.
 */
export function assignSlots(current: readonly string[], wanted: readonly string[]): string[] {
  const free = wanted.filter((w) => !current.includes(w));
  return current.map((src) => (src !== '' && wanted.includes(src) ? src : (free.shift() ?? src)));
}
