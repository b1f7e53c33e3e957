/**
 * How deep a JSON text nests, found by one linear scan that skips strings: for deciding, before
 * any walk that costs more per level (indenting, a recursive parser, JSON.stringify), whether
 * the text is one a manifest could be.
 */

/**
 * Whether `text` opens more than `limit` arrays or objects inside each other. Stops at the
 * first level past the limit; brackets inside strings do not count.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: to the next quote not escaped by a backslash.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth > 0) depth--;
    }
  }
  return false;
}

/**
 * nestsDeeperThan over UTF-8 bytes (only ASCII bytes are structural in UTF-8), resumable: `run`
 * scans one range after another, so a caller can pause between slices.
 */
export class DepthScan {
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Scans bytes[from, to); true as soon as the nesting passes `limit`. */
  run(bytes: Uint8Array, from: number, to: number, limit: number): boolean {
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (let i = from; i < to; i++) {
      const c = bytes[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (++depth > limit) return true;
      } else if ((c === 0x7d || c === 0x5d) && depth > 0) {
        depth--;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return false;
  }
}
