/**
 * Redis's sdssplitargs: splits a line into arguments the way redis-server splits inline commands and
 * config-file lines, and redis-cli splits what the user types. Input and output are latin1 strings
 * (one char per byte), so arbitrary bytes survive. Returns null on unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  // C stops at the first NUL byte; so does Redis.
  const nul = line.indexOf('\0');
  if (nul >= 0) line = line.slice(0, nul);
  const n = line.length;
  const out: string[] = [];
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line.charCodeAt(p))) p++;
    if (p >= n) return out;
    let inDouble = false;
    let inSingle = false;
    let current = '';
    for (let done = false; !done; ) {
      const c = p < n ? line.charCodeAt(p) : 0;
      if (inDouble) {
        if (
          c === 0x5c &&
          p + 3 < n &&
          line[p + 1] === 'x' &&
          isHex(line.charCodeAt(p + 2)) &&
          isHex(line.charCodeAt(p + 3))
        ) {
          current += String.fromCharCode(Number.parseInt(line.substr(p + 2, 2), 16));
          p += 3;
        } else if (c === 0x5c && p + 1 < n) {
          p++;
          const e = line[p];
          current +=
            e === 'n'
              ? '\n'
              : e === 'r'
                ? '\r'
                : e === 't'
                  ? '\t'
                  : e === 'b'
                    ? '\b'
                    : e === 'a'
                      ? '\x07'
                      : e;
        } else if (c === 0x22) {
          // A closing quote must be followed by a space or nothing at all.
          if (p + 1 < n && !isSpace(line.charCodeAt(p + 1))) return null;
          done = true;
        } else if (p >= n) {
          return null;
        } else {
          current += line[p];
        }
      } else if (inSingle) {
        if (c === 0x5c && line[p + 1] === "'") {
          p++;
          current += "'";
        } else if (c === 0x27) {
          if (p + 1 < n && !isSpace(line.charCodeAt(p + 1))) return null;
          done = true;
        } else if (p >= n) {
          return null;
        } else {
          current += line[p];
        }
      } else if (p >= n || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        current += line[p];
      }
      if (p < n) p++;
    }
    out.push(current);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Redis's sdscatrepr: quotes a byte string the way redis-cli and config rewrite print it. */
export function quoteRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        out += c >= 0x20 && c < 0x7f ? s[i] : `\\x${c.toString(16).padStart(2, '0')}`;
    }
  }
  return `${out}"`;
}
