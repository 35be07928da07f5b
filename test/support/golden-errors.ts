/** Reader for the golden errors.txt corpus (escaped request/reply bytes captured from Redis 7.0.15). */
import { readFileSync } from 'node:fs';

export type GoldenReply =
  | { kind: 'bytes'; bytes: Buffer }
  /** "(nothing) [no complete reply …]": the server waits for more input. */
  | { kind: 'waits' }
  /** "(nothing) [server closed the connection]". */
  | { kind: 'dropped' };

export interface GoldenStep {
  sent: Buffer;
  reply: GoldenReply;
  /** "after: server closed the connection after that reply". */
  closesAfter: boolean;
}

export interface GoldenCase {
  id: number;
  title: string;
  /** Server letters from the heading, e.g. ["A"] or ["D"]. */
  servers: string[];
  steps: GoldenStep[];
}

/** Decodes the corpus escaping: \r \n \t \\ \" \xNN, everything else literal. */
export function unescapeBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out.push(s.charCodeAt(i));
      continue;
    }
    const e = s[++i];
    if (e === 'r') out.push(0x0d);
    else if (e === 'n') out.push(0x0a);
    else if (e === 't') out.push(0x09);
    else if (e === 'x') {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(e.charCodeAt(0));
  }
  return Buffer.from(out);
}

/** A quoted field, possibly "… [abbreviated: N bytes in total, the rest is the byte "X" repeated]". */
function parseQuoted(field: string): Buffer {
  const m = /^"((?:[^"\\]|\\.)*)"(.*)$/.exec(field.trim());
  if (m === null) throw new Error(`not a quoted field: ${field}`);
  const head = unescapeBytes(m[1]);
  const abbreviated =
    /abbreviated: (\d+) bytes in total, the rest is the byte "((?:[^"\\]|\\.)*)" repeated/.exec(m[2]);
  if (abbreviated === null) return head;
  const total = Number(abbreviated[1]);
  const fill = unescapeBytes(abbreviated[2]);
  return Buffer.concat([head, Buffer.alloc(total - head.length, fill)]);
}

export function parseGoldenErrors(path: string): GoldenCase[] {
  const cases: GoldenCase[] = [];
  let current: GoldenCase | null = null;
  let pendingSent: Buffer | null = null;
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const heading = /^## (\d+)\. (.*?)(?: \[([A-Z,]+)\])?$/.exec(line);
    if (heading !== null) {
      current = {
        id: Number(heading[1]),
        title: heading[2],
        servers: (heading[3] ?? '').split(','),
        steps: [],
      };
      cases.push(current);
      continue;
    }
    if (current === null) continue;
    if (line.startsWith('sent:')) {
      pendingSent = parseQuoted(line.slice(5));
    } else if (line.startsWith('reply:') && pendingSent !== null) {
      const rest = line.slice(6).trim();
      let reply: GoldenReply;
      if (rest.startsWith('"')) reply = { kind: 'bytes', bytes: parseQuoted(rest) };
      else if (/server closed the connection/.test(rest)) reply = { kind: 'dropped' };
      else reply = { kind: 'waits' };
      current.steps.push({ sent: pendingSent, reply, closesAfter: false });
      pendingSent = null;
    } else if (line.startsWith('after:') && /closed the connection/.test(line)) {
      const last = current.steps.at(-1);
      if (last !== undefined) last.closesAfter = true;
    }
  }
  return cases;
}
