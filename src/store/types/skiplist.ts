/**
 * Redis's zskiplist: a skip list ordered by (score, member bytes) whose links carry spans (how many
 * level-0 steps they jump), so ranks and rank ranges are O(log n) as well as score and lex ranges.
 */

/** A score interval; minex/maxex make a bound exclusive ('(' in the command). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** Lex bounds: a member string, or the '-' / '+' infinities. */
export const LEX_MIN: unique symbol = Symbol('-');
export const LEX_MAX: unique symbol = Symbol('+');
export type LexBound = string | typeof LEX_MIN | typeof LEX_MAX;

export interface LexRange {
  min: LexBound;
  max: LexBound;
  minex: boolean;
  maxex: boolean;
}

/** Redis's sdscmplex: the infinities sort before/after every string. */
export function compareLex(a: LexBound, b: LexBound): number {
  if (a === b) return 0;
  if (a === LEX_MIN || b === LEX_MAX) return -1;
  if (a === LEX_MAX || b === LEX_MIN) return 1;
  return a < b ? -1 : 1;
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** True when no score can be in the range. */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

export function lexGteMin(v: string, r: LexRange): boolean {
  const c = compareLex(v, r.min);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(v: string, r: LexRange): boolean {
  const c = compareLex(v, r.max);
  return r.maxex ? c < 0 : c <= 0;
}

export function lexRangeEmpty(r: LexRange): boolean {
  const c = compareLex(r.min, r.max);
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}

/** (score, member) order of sorted sets: by score, then by member bytes. */
export function before(score: number, member: string, otherScore: number, otherMember: string): boolean {
  return score < otherScore || (score === otherScore && member < otherMember);
}

export class SkipNode {
  backward: SkipNode | null = null;
  readonly forward: (SkipNode | null)[];
  readonly span: number[];

  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.forward = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
}

const MAX_LEVEL = 32;
/** Scratch arrays for insert/delete, reused: commands never interleave. */
const update: SkipNode[] = new Array(MAX_LEVEL);
const rankAt: number[] = new Array(MAX_LEVEL).fill(0);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < 0.25) level++;
  return level;
}

export class SkipList {
  readonly header = new SkipNode('', 0, MAX_LEVEL);
  tail: SkipNode | null = null;
  length = 0;
  level = 1;

  get first(): SkipNode | null {
    return this.header.forward[0];
  }

  /** Inserts a member that is not present yet. */
  insert(score: number, member: string): SkipNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1];
      let next = x.forward[i];
      while (next !== null && before(next.score, next.member, score, member)) {
        rankAt[i] += x.span[i];
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i];
      node.forward[i] = u.forward[i];
      u.forward[i] = node;
      node.span[i] = u.span[i] - (rankAt[0] - rankAt[i]);
      u.span[i] = rankAt[0] - rankAt[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    const next = node.forward[0];
    if (next !== null) next.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Unlinks x given the update vector of its predecessors. */
  private unlink(x: SkipNode): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (u.forward[i] === x) {
        u.span[i] += x.span[i] - 1;
        u.forward[i] = x.forward[i];
      } else {
        u.span[i]--;
      }
    }
    const next = x.forward[0];
    if (next !== null) next.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** Fills `update` with the last node before (score, member) on each level. */
  private findPredecessors(score: number, member: string): SkipNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && before(next.score, next.member, score, member)) {
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    return x;
  }

  delete(score: number, member: string): boolean {
    const x = this.findPredecessors(score, member).forward[0];
    if (x === null || x.score !== score || x.member !== member) return false;
    this.unlink(x);
    return true;
  }

  /** Changes a member's score, moving its node only when the order requires it. */
  updateScore(current: number, member: string, score: number): SkipNode {
    const x = this.findPredecessors(current, member).forward[0]!;
    const prev = x.backward;
    const next = x.forward[0];
    if (
      (prev === null || before(prev.score, prev.member, score, member)) &&
      (next === null || before(score, member, next.score, next.member))
    ) {
      x.score = score;
      return x;
    }
    this.unlink(x);
    return this.insert(score, member);
  }

  /** 1-based rank of an element that is present, 0 if absent. */
  rank(score: number, member: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && (next.score < score || (next.score === score && next.member <= member))) {
        rank += x.span[i];
        x = next;
        next = x.forward[i];
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return 0;
  }

  /** The node at a 1-based rank, or null. */
  byRank(rank: number): SkipNode | null {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = next;
        next = x.forward[i];
      }
      if (traversed === rank) return x === this.header ? null : x;
    }
    return null;
  }

  /** First node whose score is in range. */
  firstInScoreRange(r: ScoreRange): SkipNode | null {
    if (!this.anyInScoreRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && !scoreGteMin(next.score, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    const found = x.forward[0];
    return found !== null && scoreLteMax(found.score, r) ? found : null;
  }

  /** Last node whose score is in range. */
  lastInScoreRange(r: ScoreRange): SkipNode | null {
    if (!this.anyInScoreRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && scoreLteMax(next.score, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  private anyInScoreRange(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return false;
    const tail = this.tail;
    const first = this.header.forward[0];
    return tail !== null && scoreGteMin(tail.score, r) && first !== null && scoreLteMax(first.score, r);
  }

  firstInLexRange(r: LexRange): SkipNode | null {
    if (!this.anyInLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && !lexGteMin(next.member, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    const found = x.forward[0];
    return found !== null && lexLteMax(found.member, r) ? found : null;
  }

  lastInLexRange(r: LexRange): SkipNode | null {
    if (!this.anyInLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && lexLteMax(next.member, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  private anyInLexRange(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return false;
    const tail = this.tail;
    const first = this.header.forward[0];
    return tail !== null && lexGteMin(tail.member, r) && first !== null && lexLteMax(first.member, r);
  }

  /**
   * Walks down the levels advancing while `skip(next, rankAfterStep)` holds, recording the
   * predecessors in `update`; returns the first node not skipped. Deleting consecutive nodes from
   * there keeps `update` valid, as in Redis's range deletions.
   */
  private seek(skip: (next: SkipNode, rank: number) => boolean): SkipNode | null {
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && skip(next, traversed + x.span[i])) {
        traversed += x.span[i];
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    return x.forward[0];
  }

  private deleteWhile(
    x: SkipNode | null,
    inRange: (x: SkipNode) => boolean,
    onDelete: (m: string) => void,
  ): number {
    let removed = 0;
    while (x !== null && inRange(x)) {
      const next = x.forward[0];
      this.unlink(x);
      onDelete(x.member);
      removed++;
      x = next;
    }
    return removed;
  }

  deleteRangeByScore(r: ScoreRange, onDelete: (m: string) => void): number {
    const first = this.seek((next) => !scoreGteMin(next.score, r));
    return this.deleteWhile(first, (x) => scoreLteMax(x.score, r), onDelete);
  }

  deleteRangeByLex(r: LexRange, onDelete: (m: string) => void): number {
    const first = this.seek((next) => !lexGteMin(next.member, r));
    return this.deleteWhile(first, (x) => lexLteMax(x.member, r), onDelete);
  }

  /** Deletes 1-based ranks start..end inclusive. */
  deleteRangeByRank(start: number, end: number, onDelete: (m: string) => void): number {
    const first = this.seek((_next, rank) => rank < start);
    let left = end - start + 1;
    return this.deleteWhile(first, () => left-- > 0, onDelete);
  }
}
