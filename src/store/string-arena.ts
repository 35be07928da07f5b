/**
 * String values packed outside the V8 heap's object graph (issue 19). A 100-byte value kept as a
 * JS string is one more object for every collection to trace, and a SET's new value survives a
 * scavenge, is copied to the survivor space and then to the old generation: with millions of keys
 * under a write load those copies are the server's pauses. Here each value is copied once into a
 * cell of a large Buffer chunk, and the dict holds the cell's address as a small integer (a Smi,
 * which is no heap object), so the request's own strings die young and the old generation holds
 * no per-value objects at all.
 *
 * A cell is a 4-byte length and the bytes, rounded up to 8 (64 up to 4 KB past 512 bytes); freed
 * cells go on a free list per cell size, reused by the next value of that size (the dict repacks
 * its values into a new arena when it compacts, so a keyspace that shrank gives the chunks back). A handle is the
 * cell's address in 8-byte units: chunk number in the high bits, offset in the low 17, below 2^31
 * so V8 keeps it a Smi (16 GB per arena). Values that are longer, or an arena that is full, stay
 * JS strings: pack() answers -1.
 */
import { latin1 } from '../lib/latin1.js';

const CHUNK_SHIFT = 20;
/** Bytes per chunk; each is its own ArrayBuffer, released with its arena. */
const CHUNK = 1 << CHUNK_SHIFT;
/** Handles count 8-byte units. */
const UNIT_SHIFT = 3;
const OFFSET_BITS = CHUNK_SHIFT - UNIT_SHIFT;
const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
const MAX_CHUNKS = 1 << (31 - OFFSET_BITS);
/** The first chunk starts this small and doubles (a db with a few keys costs kilobytes, not a megabyte). */
const FIRST_CHUNK = 16 * 1024;
const HEADER = 4;
/** The longest value packed; longer ones are few per megabyte and stay JS strings. */
export const PACK_MAX = 4096 - HEADER;

/** The cell a value of len bytes takes. */
export function cellBytes(len: number): number {
  const n = len + HEADER;
  return n <= 512 ? (n + 7) & ~7 : (n + 63) & ~63;
}

/** Where a handle's cell starts in its chunk. */
function byteOffset(h: number): number {
  return (h & OFFSET_MASK) << UNIT_SHIFT;
}

export class StringArena {
  private readonly bufs: Buffer[] = [];
  /** The same chunks as 32-bit words: lengths and free-list links. */
  private readonly words: Uint32Array[] = [];
  /** Free-list head per cell size (cell bytes / 8), -1 when empty; a free cell's second word links on. */
  private readonly freeHeads = new Int32Array((cellBytes(PACK_MAX) >> UNIT_SHIFT) + 1).fill(-1);
  /** Where the next new cell goes in the last chunk. */
  private bump = 0;
  /** Chunk bytes allocated (what the arena costs). */
  allocatedBytes = 0;
  /** Bytes of the cells in use. */
  liveBytes = 0;

  /** Copies s (a latin1 string of at most PACK_MAX chars) into a cell: its handle, or -1 when full. */
  pack(s: string): number {
    const len = s.length;
    const h = this.take(len);
    if (h >= 0 && len > 0) this.bufs[h >>> OFFSET_BITS].latin1Write(s, byteOffset(h) + HEADER, len);
    return h;
  }

  /** Copies a cell of another arena into this one (repacking): its new handle, or -1 when full. */
  copyFrom(other: StringArena, from: number): number {
    const at = byteOffset(from) + HEADER;
    const len = other.lengthOf(from);
    const h = this.take(len);
    if (h >= 0)
      other.bufs[from >>> OFFSET_BITS].copy(
        this.bufs[h >>> OFFSET_BITS],
        byteOffset(h) + HEADER,
        at,
        at + len,
      );
    return h;
  }

  /** A cell for len bytes, its length written: a freed one of its size, else a new one (-1 when full). */
  private take(len: number): number {
    const cell = cellBytes(len);
    const sizeClass = cell >> UNIT_SHIFT;
    let h = this.freeHeads[sizeClass];
    if (h >= 0) {
      this.freeHeads[sizeClass] = this.words[h >>> OFFSET_BITS][(byteOffset(h) >> 2) + 1] | 0;
    } else {
      const chunk = this.roomFor(cell);
      if (chunk < 0) return -1;
      h = (chunk << OFFSET_BITS) | (this.bump >> UNIT_SHIFT);
      this.bump += cell;
    }
    this.words[h >>> OFFSET_BITS][byteOffset(h) >> 2] = len;
    this.liveBytes += cell;
    return h;
  }

  /** The string in a cell. */
  read(h: number): string {
    const chunk = h >>> OFFSET_BITS;
    const offset = byteOffset(h);
    const len = this.words[chunk][offset >> 2];
    return latin1(this.bufs[chunk], offset + HEADER, offset + HEADER + len);
  }

  /** Whether a cell holds s (compared in place, no string is made). */
  equals(h: number, s: string): boolean {
    const chunk = h >>> OFFSET_BITS;
    const offset = byteOffset(h);
    const len = this.words[chunk][offset >> 2];
    if (len !== s.length) return false;
    const buf = this.bufs[chunk];
    const at = offset + HEADER;
    for (let i = 0; i < len; i++) if (buf[at + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  /** The length of the string in a cell (no string is made). */
  lengthOf(h: number): number {
    return this.words[h >>> OFFSET_BITS][byteOffset(h) >> 2];
  }

  /** Returns a cell to its free list; h must not be used again. */
  free(h: number): void {
    const words = this.words[h >>> OFFSET_BITS];
    const w = byteOffset(h) >> 2;
    const cell = cellBytes(words[w]);
    const sizeClass = cell >> UNIT_SHIFT;
    words[w + 1] = this.freeHeads[sizeClass];
    this.freeHeads[sizeClass] = h;
    this.liveBytes -= cell;
  }

  /** The chunk a new cell of `cell` bytes goes in (growing or adding one), or -1 when full. */
  private roomFor(cell: number): number {
    let last = this.bufs.length - 1;
    if (last >= 0 && this.bump + cell <= this.bufs[last].length) return last;
    if (last >= 0 && this.bufs[last].length < CHUNK) {
      // The first chunk grows in place: its handles stay valid, the copy is at most a megabyte.
      this.setChunk(last, this.bufs[last].length * 2);
      return this.roomFor(cell);
    }
    if (this.bufs.length === MAX_CHUNKS) return -1;
    last = this.bufs.length;
    this.setChunk(last, last === 0 ? FIRST_CHUNK : CHUNK);
    this.bump = 0;
    return last;
  }

  private setChunk(index: number, size: number): void {
    const buf = Buffer.allocUnsafeSlow(size);
    const old = this.bufs[index];
    if (old !== undefined) {
      old.copy(buf, 0, 0, this.bump);
      this.allocatedBytes -= old.length;
    }
    this.bufs[index] = buf;
    this.words[index] = new Uint32Array(buf.buffer, buf.byteOffset, size >> 2);
    this.allocatedBytes += size;
  }
}
