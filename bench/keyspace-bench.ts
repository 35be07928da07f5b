/**
 * Micro-benchmark of the GET/SET hot path of the store: Dict.get/set and Database.get/set with 1M
 * keys of 100-byte values, plus the heap cost per key. Run: node --expose-gc dist/bench/keyspace-bench.js
 */
import { Dict } from '../src/store/dict.js';
import { Keyspace } from '../src/store/keyspace.js';

const N = 1_000_000;
const ROUNDS = 3;
const keys = Array.from({ length: N }, (_, i) => `key:${String(i).padStart(10, '0')}`);
const value = 'x'.repeat(100);

function time(label: string, fn: () => void): void {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / N);
  }
  console.log(`${label.padEnd(36)} ${best.toFixed(1)} ns/op`);
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

let sink = 0;
const dict = new Dict<string>();
time('Dict.set (insert, then overwrite)', () => {
  for (let i = 0; i < N; i++) dict.set(keys[i], value);
});
time('Dict.get (hit)', () => {
  for (let i = 0; i < N; i++) sink += dict.get(keys[i])!.length;
});

const ks = new Keyspace(16);
const db = ks.dbs[0];
time('Database.set', () => {
  for (let i = 0; i < N; i++) db.set(keys[i], value);
});
time('Database.get (hit, no TTLs)', () => {
  for (let i = 0; i < N; i++) sink += (db.get(keys[i]) as string).length;
});
for (let i = 0; i < N; i += 10) db.setExpire(keys[i], ks.time + 3_600_000);
time('Database.get (hit, 10% volatile)', () => {
  for (let i = 0; i < N; i++) sink += (db.get(keys[i]) as string).length;
});

// Heap per key: flat key and value strings as the request parser makes them (latin1Slice).
const raw = Buffer.alloc(116, 'v');
const flat = (text: string, length: number): string => {
  raw.latin1Write(text, 0);
  return raw.latin1Slice(0, length);
};
const before = heapUsed();
const fresh = new Keyspace(16);
for (let i = 0; i < N; i++) fresh.dbs[0].set(flat(`k:${i}:`.padEnd(16, 'k'), 16), flat(String(i), 100));
const after = heapUsed();
console.log(`heap per key (16-byte keys, 100-byte values): ${((after - before) / N).toFixed(0)} B`);
console.log(
  `rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB, keys ${fresh.keyCount} (sink ${sink > 0})`,
);
