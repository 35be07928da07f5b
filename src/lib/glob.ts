/**
 * Redis's glob-style matcher (stringmatchlen): `*`, `?`, `[...]` with `^` and ranges, `\` escapes.
 * Works on latin1 strings, so on raw bytes. Same early exit for hopeless `*` backtracking and the
 * same nesting limit against abusive patterns. Like Redis, nothing matches an empty subject (not
 * even `*`): KEYS and SCAN special-case the pattern `*` themselves.
 */
export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  if (pattern === '*') return subject.length > 0;
  const state = { skipLonger: false };
  return matchFrom(pattern, 0, subject, 0, nocase, state, 0);
}

/** C's signed char, as Redis compares range bounds. */
function signedByte(s: string, i: number): number {
  const c = i < s.length ? s.charCodeAt(i) : 0;
  return c > 127 ? c - 256 : c;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function matchFrom(
  p: string,
  pi: number,
  s: string,
  si: number,
  nocase: boolean,
  state: { skipLonger: boolean },
  nesting: number,
): boolean {
  if (nesting > 1000) return false;
  let plen = p.length - pi;
  let slen = s.length - si;
  while (plen > 0 && slen > 0) {
    const pc = p.charCodeAt(pi);
    if (pc === 0x2a /* * */) {
      while (plen > 1 && p.charCodeAt(pi + 1) === 0x2a) {
        pi++;
        plen--;
      }
      if (plen === 1) return true;
      while (slen > 0) {
        if (matchFrom(p, pi + 1, s, si, nocase, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        si++;
        slen--;
      }
      state.skipLonger = true;
      return false;
    }
    if (pc === 0x3f /* ? */) {
      si++;
      slen--;
    } else if (pc === 0x5b /* [ */) {
      pi++;
      plen--;
      const not = plen > 0 && p.charCodeAt(pi) === 0x5e;
      if (not) {
        pi++;
        plen--;
      }
      let match = false;
      const sc = s.charCodeAt(si);
      for (;;) {
        const c = pi < p.length ? p.charCodeAt(pi) : 0;
        if (c === 0x5c && plen >= 2) {
          pi++;
          plen--;
          if (p.charCodeAt(pi) === sc) match = true;
        } else if (c === 0x5d /* ] */ && plen > 0) {
          break;
        } else if (plen === 0) {
          pi--;
          plen++;
          break;
        } else if (plen >= 3 && p.charCodeAt(pi + 1) === 0x2d /* - */) {
          let start = signedByte(p, pi);
          let end = signedByte(p, pi + 2);
          let ch = signedByte(s, si);
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            ch = lower(ch);
          }
          pi += 2;
          plen -= 2;
          if (ch >= start && ch <= end) match = true;
        } else if (nocase ? lower(c) === lower(sc) : c === sc) {
          match = true;
        }
        pi++;
        plen--;
      }
      if (not) match = !match;
      if (!match) return false;
      si++;
      slen--;
    } else {
      if (pc === 0x5c /* \ */ && plen >= 2) {
        pi++;
        plen--;
      }
      const c = p.charCodeAt(pi);
      const sc = s.charCodeAt(si);
      if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
      si++;
      slen--;
    }
    pi++;
    plen--;
    if (slen === 0) {
      while (plen > 0 && p.charCodeAt(pi) === 0x2a) {
        pi++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}
