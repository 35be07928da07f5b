/** The backlog ring buffer on its own: whatever the sizes of the appends, it holds the stream's tail. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backlog } from '../../src/replication/backlog.js';

test('appends of every size, wrapping around: readFrom gives the exact tail of the stream', () => {
  const size = 97;
  const backlog = new Backlog(size, 1000);
  let stream = Buffer.alloc(0);
  let seed = 3;
  for (let round = 0; round < 400; round++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    // Mostly small pieces, sometimes one larger than the whole ring.
    const n = round % 37 === 0 ? size + (seed % 50) : seed % 40;
    const piece = Buffer.from(Array.from({ length: n }, (_, i) => (round * 31 + i) & 0xff));
    backlog.append(piece);
    stream = Buffer.concat([stream, piece]);
    const held = Math.min(size, stream.length);
    assert.equal(backlog.histlen, held);
    assert.equal(backlog.offset, 1000 + stream.length);
    const from = backlog.firstByteOffset + (seed % (held + 1));
    assert.ok(backlog.covers(from));
    assert.deepEqual(backlog.readFrom(from), stream.subarray(stream.length - (backlog.offset + 1 - from)));
  }
  assert.equal(backlog.covers(backlog.firstByteOffset - 1), false);
});
