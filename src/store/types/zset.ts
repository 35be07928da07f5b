import { Dict } from '../dict.js';
import type { CollectionValue } from '../values.js';
import {
  before,
  type LexRange,
  lexGteMin,
  lexLteMax,
  lexRangeEmpty,
  type ScoreRange,
  SkipList,
  type SkipNode,
  scoreGteMin,
  scoreLteMax,
  scoreRangeEmpty,
} from './skiplist.js';

/** The zset-max-listpack-* thresholds. */
export interface ZSetLimits {
  entries: number;
  value: number;
}

/** ZADD input flags (zsetAdd's in_flags). */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_INCR = 16;

/** What zsetAdd did. */
export enum ZAddOutcome {
  /** The resulting score would be NaN: nothing changed. */
  Nan,
  /** NX/XX/GT/LT said no. */
  Nop,
  Added,
  Updated,
  /** Present with the same score: processed but not changed. */
  Same,
}

export type EntryFn = (member: string, score: number) => void;

/**
 * A Redis sorted set. Small ones are two parallel arrays sorted by (score, member), reported as
 * 'listpack'; past zset-max-listpack-entries/value it becomes a skip list with spans plus a Dict
 * member -> score ('skiplist'), as Redis converts.
 */
export class ZSetValue implements CollectionValue {
  accountedBytes = 0;
  readonly type = 'zset';
  private members: string[] | null = null;
  private scores: number[] | null = null;
  private zsl: SkipList | null = null;
  private dict: Dict<number> | null = null;
  /** The score after the last add() that did not fail (zsetAdd's newscore). */
  lastScore = 0;

  constructor(skiplist = false) {
    if (skiplist) {
      this.zsl = new SkipList();
      this.dict = new Dict<number>({ numeric: true });
    } else {
      this.members = [];
      this.scores = [];
    }
  }

  encoding(): string {
    return this.members !== null ? 'listpack' : 'skiplist';
  }

  get size(): number {
    return this.members !== null ? this.members.length : this.zsl!.length;
  }

  get isListpack(): boolean {
    return this.members !== null;
  }

  score(member: string): number | undefined {
    if (this.members === null) return this.dict!.get(member);
    const i = this.members.indexOf(member);
    return i < 0 ? undefined : this.scores![i];
  }

  /** Index where (score, member) belongs in the listpack arrays. */
  private insertionPoint(score: number, member: string): number {
    const members = this.members!;
    const scores = this.scores!;
    let lo = 0;
    let hi = members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(scores[mid], members[mid], score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lpInsert(score: number, member: string): void {
    // A listpack stores scores as text without a sign on zero: -0 comes back as 0.
    if (score === 0) score = 0;
    const at = this.insertionPoint(score, member);
    this.members!.splice(at, 0, member);
    this.scores!.splice(at, 0, score);
  }

  private lpRemoveAt(i: number): void {
    this.members!.splice(i, 1);
    this.scores!.splice(i, 1);
  }

  /** Redis's zsetAdd: applies NX/XX/GT/LT/INCR; sets lastScore unless the outcome is Nan or Nop. */
  add(score: number, member: string, flags: number, limits: ZSetLimits): ZAddOutcome {
    if (Number.isNaN(score)) return ZAddOutcome.Nan;
    const current = this.score(member);
    if (current !== undefined) {
      if (flags & ZADD_NX) return ZAddOutcome.Nop;
      if (flags & ZADD_INCR) {
        score += current;
        if (Number.isNaN(score)) return ZAddOutcome.Nan;
      }
      if ((flags & ZADD_LT && score >= current) || (flags & ZADD_GT && score <= current))
        return ZAddOutcome.Nop;
      this.lastScore = score;
      if (score === current) return ZAddOutcome.Same;
      this.changeScore(member, current, score);
      return ZAddOutcome.Updated;
    }
    if (flags & ZADD_XX) return ZAddOutcome.Nop;
    this.insertNew(score, member, limits);
    this.lastScore = score;
    return ZAddOutcome.Added;
  }

  /** Inserts an absent member, converting first if the listpack would outgrow the limits. */
  insertNew(score: number, member: string, limits: ZSetLimits): void {
    if (this.members !== null) {
      if (this.members.length + 1 <= limits.entries && member.length <= limits.value) {
        this.lpInsert(score, member);
        return;
      }
      this.convertToSkiplist();
    }
    this.zsl!.insert(score, member);
    this.dict!.set(member, score);
  }

  private changeScore(member: string, current: number, score: number): void {
    if (this.members !== null) {
      this.lpRemoveAt(this.members.indexOf(member));
      this.lpInsert(score, member);
      return;
    }
    this.zsl!.updateScore(current, member, score);
    this.dict!.set(member, score);
  }

  delete(member: string): boolean {
    if (this.members !== null) {
      const i = this.members.indexOf(member);
      if (i < 0) return false;
      this.lpRemoveAt(i);
      return true;
    }
    const score = this.dict!.delete(member);
    if (score === undefined) return false;
    this.zsl!.delete(score, member);
    return true;
  }

  convertToSkiplist(): void {
    if (this.members === null) return;
    const zsl = new SkipList();
    const dict = new Dict<number>({ numeric: true });
    const members = this.members;
    const scores = this.scores!;
    for (let i = 0; i < members.length; i++) {
      zsl.insert(scores[i], members[i]);
      dict.set(members[i], scores[i]);
    }
    this.zsl = zsl;
    this.dict = dict;
    this.members = null;
    this.scores = null;
  }

  /** Back to a listpack if it fits (zsetConvertToListpackIfNeeded, for stored results). */
  convertToListpackIfFits(limits: ZSetLimits): void {
    if (this.members !== null || this.zsl!.length > limits.entries) return;
    const members: string[] = [];
    const scores: number[] = [];
    for (let x = this.zsl!.first; x !== null; x = x.forward[0]) {
      if (x.member.length > limits.value) return;
      members.push(x.member);
      scores.push(x.score === 0 ? 0 : x.score);
    }
    this.members = members;
    this.scores = scores;
    this.zsl = null;
    this.dict = null;
  }

  /** 0-based rank (from the highest score when reverse), or undefined if absent. */
  rank(member: string, reverse: boolean): number | undefined {
    let r: number;
    if (this.members !== null) {
      r = this.members.indexOf(member);
      if (r < 0) return undefined;
    } else {
      const score = this.dict!.get(member);
      if (score === undefined) return undefined;
      r = this.zsl!.rank(score, member) - 1;
    }
    return reverse ? this.size - 1 - r : r;
  }

  /** Ascending order. */
  forEach(fn: EntryFn): void {
    if (this.members !== null) {
      const members = this.members;
      const scores = this.scores!;
      for (let i = 0; i < members.length; i++) fn(members[i], scores[i]);
      return;
    }
    for (let x = this.zsl!.first; x !== null; x = x.forward[0]) fn(x.member, x.score);
  }

  /** Entries at 0-based ranks start..end (valid, inclusive), counted from the top when reverse. */
  rangeByRank(start: number, end: number, reverse: boolean, fn: EntryFn): void {
    const n = this.size;
    if (this.members !== null) {
      const members = this.members;
      const scores = this.scores!;
      for (let k = start; k <= end; k++) {
        const i = reverse ? n - 1 - k : k;
        fn(members[i], scores[i]);
      }
      return;
    }
    let x = this.zsl!.byRank(reverse ? n - start : start + 1);
    for (let k = start; k <= end && x !== null; k++) {
      fn(x.member, x.score);
      x = reverse ? x.backward : x.forward[0];
    }
  }

  /**
   * Entries with scores in range, from the lowest (or the highest when reverse), skipping `offset`
   * and stopping after `limit` (negative: no limit). A negative offset skips everything, as in Redis.
   */
  rangeByScore(r: ScoreRange, reverse: boolean, offset: number, limit: number, fn: EntryFn): void {
    const inRange = reverse ? (s: number) => scoreGteMin(s, r) : (s: number) => scoreLteMax(s, r);
    if (this.members !== null) {
      const i = reverse ? this.lpLastInScoreRange(r) : this.lpFirstInScoreRange(r);
      this.lpWalk(i, reverse, offset, limit, (k) => inRange(this.scores![k]), fn);
      return;
    }
    const zsl = this.zsl!;
    const x = reverse ? zsl.lastInScoreRange(r) : zsl.firstInScoreRange(r);
    walkNodes(x, reverse, offset, limit, (n) => inRange(n.score), fn);
  }

  rangeByLex(r: LexRange, reverse: boolean, offset: number, limit: number, fn: EntryFn): void {
    const inRange = reverse ? (m: string) => lexGteMin(m, r) : (m: string) => lexLteMax(m, r);
    if (this.members !== null) {
      const i = reverse ? this.lpLastInLexRange(r) : this.lpFirstInLexRange(r);
      this.lpWalk(i, reverse, offset, limit, (k) => inRange(this.members![k]), fn);
      return;
    }
    const zsl = this.zsl!;
    const x = reverse ? zsl.lastInLexRange(r) : zsl.firstInLexRange(r);
    walkNodes(x, reverse, offset, limit, (n) => inRange(n.member), fn);
  }

  private lpWalk(
    i: number,
    reverse: boolean,
    offset: number,
    limit: number,
    inRange: (i: number) => boolean,
    fn: EntryFn,
  ): void {
    const members = this.members!;
    const step = reverse ? -1 : 1;
    if (i < 0) return;
    if (offset < 0) return;
    i += step * offset;
    for (; i >= 0 && i < members.length && limit !== 0; i += step, limit--) {
      if (!inRange(i)) break;
      fn(members[i], this.scores![i]);
    }
  }

  /*
   * The listpack searches mirror Redis's zzl*InRange exactly (a quick reject on the first and last
   * entries, then a linear scan that stops at the first entry past the bound): with mixed scores,
   * lex ranges depend on these details.
   */
  private lpFirstInScoreRange(r: ScoreRange): number {
    const scores = this.scores!;
    const n = scores.length;
    if (scoreRangeEmpty(r) || n === 0 || !scoreGteMin(scores[n - 1], r) || !scoreLteMax(scores[0], r))
      return -1;
    for (let i = 0; i < n; i++) {
      if (scoreGteMin(scores[i], r)) return scoreLteMax(scores[i], r) ? i : -1;
    }
    return -1;
  }

  private lpLastInScoreRange(r: ScoreRange): number {
    const scores = this.scores!;
    const n = scores.length;
    if (scoreRangeEmpty(r) || n === 0 || !scoreGteMin(scores[n - 1], r) || !scoreLteMax(scores[0], r))
      return -1;
    for (let i = n - 1; i >= 0; i--) {
      if (scoreLteMax(scores[i], r)) return scoreGteMin(scores[i], r) ? i : -1;
    }
    return -1;
  }

  private lpAnyInLexRange(r: LexRange): boolean {
    const members = this.members!;
    const n = members.length;
    return !lexRangeEmpty(r) && n > 0 && lexGteMin(members[n - 1], r) && lexLteMax(members[0], r);
  }

  private lpFirstInLexRange(r: LexRange): number {
    if (!this.lpAnyInLexRange(r)) return -1;
    const members = this.members!;
    for (let i = 0; i < members.length; i++) {
      if (lexGteMin(members[i], r)) return lexLteMax(members[i], r) ? i : -1;
    }
    return -1;
  }

  private lpLastInLexRange(r: LexRange): number {
    if (!this.lpAnyInLexRange(r)) return -1;
    const members = this.members!;
    for (let i = members.length - 1; i >= 0; i--) {
      if (lexLteMax(members[i], r)) return lexGteMin(members[i], r) ? i : -1;
    }
    return -1;
  }

  /** ZCOUNT: O(log n) on a skip list through ranks. */
  countInScoreRange(r: ScoreRange): number {
    if (this.members !== null) {
      let count = 0;
      this.rangeByScore(r, false, 0, -1, () => count++);
      return count;
    }
    const zsl = this.zsl!;
    const first = zsl.firstInScoreRange(r);
    if (first === null) return 0;
    const last = zsl.lastInScoreRange(r)!;
    return zsl.rank(last.score, last.member) - zsl.rank(first.score, first.member) + 1;
  }

  countInLexRange(r: LexRange): number {
    if (this.members !== null) {
      let count = 0;
      this.rangeByLex(r, false, 0, -1, () => count++);
      return count;
    }
    const zsl = this.zsl!;
    const first = zsl.firstInLexRange(r);
    if (first === null) return 0;
    const last = zsl.lastInLexRange(r)!;
    return zsl.rank(last.score, last.member) - zsl.rank(first.score, first.member) + 1;
  }

  /** Deletes 0-based ranks start..end (valid, inclusive); returns how many. */
  deleteRangeByRank(start: number, end: number): number {
    if (this.members !== null) {
      this.members.splice(start, end - start + 1);
      this.scores!.splice(start, end - start + 1);
      return end - start + 1;
    }
    return this.zsl!.deleteRangeByRank(start + 1, end + 1, this.dictRemover());
  }

  deleteRangeByScore(r: ScoreRange): number {
    if (this.members !== null) {
      return this.lpDeleteWhile(this.lpFirstInScoreRange(r), (i) => scoreLteMax(this.scores![i], r));
    }
    return this.zsl!.deleteRangeByScore(r, this.dictRemover());
  }

  deleteRangeByLex(r: LexRange): number {
    if (this.members !== null) {
      return this.lpDeleteWhile(this.lpFirstInLexRange(r), (i) => lexLteMax(this.members![i], r));
    }
    return this.zsl!.deleteRangeByLex(r, this.dictRemover());
  }

  private dictRemover(): (m: string) => void {
    const dict = this.dict!;
    return (m) => dict.delete(m);
  }

  /** Deletes from index `first` on while `inRange` holds (zzlDeleteRangeByScore/Lex). */
  private lpDeleteWhile(first: number, inRange: (i: number) => boolean): number {
    if (first < 0) return 0;
    const members = this.members!;
    let end = first;
    while (end < members.length && inRange(end)) end++;
    members.splice(first, end - first);
    this.scores!.splice(first, end - first);
    return end - first;
  }

  /** The entry at a 0-based rank (ascending); the rank must be valid. */
  at(rank: number): [string, number] {
    if (this.members !== null) return [this.members[rank], this.scores![rank]];
    const x = this.zsl!.byRank(rank + 1)!;
    return [x.member, x.score];
  }

  /** A uniformly chosen entry; the set must not be empty. */
  randomEntry(): [string, number] {
    if (this.members !== null) {
      const i = (Math.random() * this.members.length) | 0;
      return [this.members[i], this.scores![i]];
    }
    const m = this.dict!.randomKey()!;
    return [m, this.dict!.get(m)!];
  }

  /** One ZSCAN step over the skip list form's dict (a listpack is returned whole by the caller). */
  scan(cursor: number, fn: EntryFn): number {
    return this.dict!.scan(cursor, fn);
  }

  copy(): ZSetValue {
    const z = new ZSetValue(this.members === null);
    if (this.members !== null) {
      z.members = this.members.slice();
      z.scores = this.scores!.slice();
    } else {
      this.forEach((m, s) => {
        z.zsl!.insert(s, m);
        z.dict!.set(m, s);
      });
    }
    return z;
  }

  /** A sorted set with these entries (members unique), encoded as Redis encodes stored results. */
  static fromEntries(entries: Iterable<[string, number]>, limits: ZSetLimits): ZSetValue {
    const z = new ZSetValue(true);
    for (const [m, s] of entries) {
      z.zsl!.insert(s, m);
      z.dict!.set(m, s);
    }
    z.convertToListpackIfFits(limits);
    return z;
  }
}

function walkNodes(
  x: SkipNode | null,
  reverse: boolean,
  offset: number,
  limit: number,
  inRange: (x: SkipNode) => boolean,
  fn: EntryFn,
): void {
  if (offset < 0) return;
  while (x !== null && offset-- > 0) x = reverse ? x.backward : x.forward[0];
  for (; x !== null && limit !== 0; limit--) {
    if (!inRange(x)) break;
    fn(x.member, x.score);
    x = reverse ? x.backward : x.forward[0];
  }
}
