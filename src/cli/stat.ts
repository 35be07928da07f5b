/** --stat: one line of server statistics per interval, from INFO, like redis-cli's statMode(). */
import type { RespValue } from '../protocol/resp-reader.js';
import { CliExit, cString, writeOut } from './output.js';
import type { Session } from './session.js';

const HEADER =
  '------- data ------ --------------------- load -------------------- - child -\n' +
  'keys       mem      clients blocked requests            connections          \n';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * redis-cli's getInfoField: the text after the first occurrence of "field" plus one separator
 * char, up to '\r' or ','. Missing fields give undefined (redis-cli would print LONG_MIN).
 */
export function infoField(info: string, field: string): string | undefined {
  const at = info.indexOf(field);
  if (at < 0) return undefined;
  const start = at + field.length + 1;
  let end = info.indexOf('\r', start);
  if (end < 0) end = info.length;
  const comma = info.indexOf(',', start);
  if (comma >= 0 && comma < end) end = comma;
  return info.slice(start, end);
}

export function infoLong(info: string, field: string): number | undefined {
  const v = infoField(info, field);
  if (v === undefined) return undefined;
  const m = /^\s*[+-]?\d+/.exec(v);
  return m === null ? 0 : Number(m[0]);
}

/** "100B", "1.50K", "2.00M", "3.25G" like redis-cli's bytesToHuman. */
export function bytesToHuman(n: number): string {
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  if (n < 1024) return `${sign}${n}B`;
  const units: Array<[number, string]> = [
    [1024 ** 2, 'K'],
    [1024 ** 3, 'M'],
    [1024 ** 4, 'G'],
  ];
  for (const [limit, unit] of units) {
    if (n < limit) return `${sign}${(n / (limit / 1024)).toFixed(2)}${unit}`;
  }
  return `${sign}${(n / 1024 ** 4).toFixed(2)}T`;
}

/** One --stat line; `previous` is the request count of the line before (undefined for the first). */
export function statLine(
  info: string,
  previous: number | undefined,
): { line: string; requests: number | undefined } {
  const show = (v: number | undefined) => (v === undefined ? '-' : String(v));
  let keys = 0;
  for (let db = 0; db < 20; db++) keys += infoLong(info, `db${db}:keys`) ?? 0;
  const mem = infoLong(info, 'used_memory');
  const requests = infoLong(info, 'total_commands_processed');
  const delta = requests === undefined || previous === undefined ? 0 : requests - previous;
  let line = String(keys).padEnd(11);
  line += (mem === undefined ? '-' : bytesToHuman(mem)).padEnd(8);
  line += ` ${show(infoLong(info, 'connected_clients')).padEnd(8)}`;
  line += show(infoLong(info, 'blocked_clients')).padEnd(8);
  line += `${show(requests)} (+${delta})`.padEnd(19);
  line += ` ${show(infoLong(info, 'total_connections_received')).padEnd(12)}`;
  const children =
    (infoLong(info, 'bgsave_in_progress') ?? 0) |
    ((infoLong(info, 'aof_rewrite_in_progress') ?? 0) << 1) |
    ((infoLong(info, 'loading') ?? 0) << 2);
  line += ['', 'SAVE', 'AOF', 'SAVE+AOF', 'LOAD'][children] ?? '';
  return { line: `${line}\n`, requests };
}

/** INFO, reconnecting (once a second, with a "Reconnecting... N" line) while the server is away. */
async function infoReconnecting(session: Session): Promise<RespValue> {
  let tries = 0;
  for (;;) {
    while (session.conn === null || session.conn.error !== null) {
      writeOut('\r\x1b[0K');
      writeOut(`Reconnecting... ${++tries}\r`);
      await session.connect(true, true);
      await sleep(1000);
    }
    const r = await session.conn.call(['INFO']);
    if (r.ok) {
      if (tries > 0) writeOut('\r\x1b[0K');
      return r.value;
    }
  }
}

export async function statMode(session: Session): Promise<never> {
  const interval = session.o.intervalMs > 0 ? session.o.intervalMs : 1000;
  let previous: number | undefined;
  for (let i = 0; ; i++) {
    const reply = await infoReconnecting(session);
    if (reply.type === 'error') throw new CliExit(1, `ERROR: ${cString(reply.value)}\n`);
    const info = reply.type === 'bulk' || reply.type === 'verbatim' ? reply.value.latin1Slice() : '';
    if (i % 20 === 0) writeOut(HEADER);
    const { line, requests } = statLine(info, previous);
    writeOut(line);
    // Like redis-cli, the first line shows +0 and later ones the difference.
    previous = requests;
    await sleep(interval);
  }
}
