/** --scan [--pattern p]: every key via SCAN, one per line, like redis-cli's scanMode(). */
import { quoteRepr } from '../protocol/split-args.js';
import { CliExit, cString, writeOut } from './output.js';
import type { Session } from './session.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function scanMode(session: Session): Promise<number> {
  const { pattern, output, intervalMs } = session.o;
  let cursor = '0';
  do {
    const args = pattern === undefined ? ['SCAN', cursor] : ['SCAN', cursor, 'MATCH', pattern];
    const r = await session.conn!.call(args);
    if (!r.ok) throw new CliExit(1, '', '\nI/O error\n');
    const reply = r.value;
    if (reply.type === 'error') throw new CliExit(1, '', `SCAN error: ${cString(reply.value)}\n`);
    if (reply.type !== 'array') throw new CliExit(1, '', 'Non ARRAY response from SCAN!\n');
    if (reply.value.length !== 2) throw new CliExit(1, '', 'Invalid element count from SCAN!\n');
    const [next, keys] = reply.value;
    cursor = next.type === 'bulk' ? next.value.latin1Slice() : '0';
    let out = '';
    for (const key of keys.type === 'array' ? keys.value : []) {
      const name = key.type === 'bulk' ? key.value.latin1Slice() : '';
      // Raw output goes through printf("%s"), which stops at a NUL byte.
      out += output === 'standard' ? `${quoteRepr(name)}\n` : `${cString(name)}\n`;
    }
    writeOut(out);
    if (intervalMs > 0) await sleep(intervalMs);
  } while (!/^0*$/.test(cursor));
  return 0;
}
