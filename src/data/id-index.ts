// The ids an import has seen and the line each was first on, to report a duplicate id with its
// first line. A Map of 1M id strings costs ~100 MB of heap and slows every major GC; this keeps
// two independent 32-bit hashes of each id and its line in typed arrays (12 bytes a slot, open
// addressing), ~25 MB for 1M ids. Two different ids are taken for the same only when both hashes
// agree: about 1 in 3.7e7 for a whole file of 1M ids (n²/2^65), which we accept for the memory.
export class IdIndex {
  #h1 = new Uint32Array(1 << 12);
  #h2 = new Uint32Array(1 << 12);
  /** 0 marks an empty slot; lines start at 1. */
  #lines = new Uint32Array(1 << 12);
  #size = 0;

  /** The line `id` was first added on, or, when it is new, undefined after recording `line`. */
  firstLine(id: string, line: number): number | undefined {
    // FNV-1a and a multiplicative hash with another seed, in one pass.
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a >>>= 0;
    b = (b ^ id.length) >>> 0;
    const mask = this.#lines.length - 1;
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const seen = this.#lines[slot];
      if (seen === 0) break;
      if (this.#h1[slot] === a && this.#h2[slot] === b) return seen;
      slot = (slot + 1) & mask;
    }
    this.#h1[slot] = a;
    this.#h2[slot] = b;
    this.#lines[slot] = line;
    if (++this.#size * 2 > this.#lines.length) this.#grow();
    return undefined;
  }

  #grow(): void {
    const [h1, h2, lines] = [this.#h1, this.#h2, this.#lines];
    const capacity = lines.length * 2;
    this.#h1 = new Uint32Array(capacity);
    this.#h2 = new Uint32Array(capacity);
    this.#lines = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      let slot = (h1[i] ^ Math.imul(h2[i], 0x9e3779b1)) & mask;
      while (this.#lines[slot] !== 0) slot = (slot + 1) & mask;
      this.#h1[slot] = h1[i];
      this.#h2[slot] = h2[i];
      this.#lines[slot] = lines[i];
    }
  }
}
