import type { ClientHandle } from './context.js';

/** One CLIENT LIST line (catClientInfoString), without the newline. */
export function clientInfoLine(c: ClientHandle, now: number): string {
  const m = c.memoryStats();
  const nowSec = Math.floor(now / 1000);
  const age = nowSec - Math.floor(c.createdAt / 1000);
  const idle = nowSec - Math.floor(c.lastInteraction / 1000);
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} age=${age} idle=${idle}` +
    ` flags=${c.listFlags()} db=${c.db.id} sub=${c.channels.size} psub=${c.patterns.size}` +
    ` ssub=${c.shardChannelCount} multi=${c.multi === null ? c.execQueued : c.multi.length}` +
    ` qbuf=${m.qbuf} qbuf-free=${m.qbufFree} argv-mem=${m.argvMem} multi-mem=${m.multiMem}` +
    ` rbs=${m.rbs} rbp=${m.rbp} obl=${m.obl} oll=${m.oll} omem=${m.omem} tot-mem=${m.totMem}` +
    ` events=${m.events} cmd=${c.lastCommandName} user=${c.user} redir=${c.tracking.on ? c.tracking.redirect : -1} resp=${c.resp}`
  );
}
