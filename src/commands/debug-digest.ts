/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE, computed exactly as Redis 7.0's debug.c does
 * (computeDatasetDigest, xorObjectDigest), so two servers holding the same data set (tsredis or
 * redis-server, any encoding) print the same 40 hex digits. SHA1 throughout: unordered things
 * (keys, set members, hash fields, sorted set entries) are combined with xor, ordered ones (list
 * elements, the parts of one entry) with "mix" (digest = SHA1(digest xor SHA1(data))).
 */
import { createHash } from 'node:crypto';
import { formatDouble } from '../lib/numbers.js';
import type { Database } from '../store/database.js';
import { HashValue } from '../store/types/hash.js';
import { ListValue } from '../store/types/list.js';
import { SetValue } from '../store/types/set.js';
import { StreamValue } from '../store/types/stream.js';
import { MAX_ID, U64_MAX } from '../store/types/stream-id.js';
import { ZSetValue } from '../store/types/zset.js';
import { MutableString, type Value } from '../store/values.js';

/** Redis's OBJ_* type numbers, hashed into every key's digest. */
const OBJ_STRING = 0;
const OBJ_LIST = 1;
const OBJ_SET = 2;
const OBJ_ZSET = 3;
const OBJ_HASH = 4;
const OBJ_STREAM = 6;

const EXPIRE_MARK = Buffer.from('!!expire!!', 'latin1');

/** Bytes to hash: strings are latin1 (one char per byte), as the store keeps them. */
type Data = Buffer | string;

function sha1(data: Data): Buffer {
  const h = createHash('sha1');
  if (typeof data === 'string') h.update(data, 'latin1');
  else h.update(data);
  return h.digest();
}

/** digest ^= SHA1(data). */
function xorDigest(digest: Buffer, data: Data): void {
  const hash = sha1(data);
  for (let j = 0; j < 20; j++) digest[j] ^= hash[j];
}

/** digest = SHA1(digest ^ SHA1(data)): order matters. */
function mixDigest(digest: Buffer, data: Data): void {
  xorDigest(digest, data);
  sha1(digest).copy(digest);
}

function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/**
 * How Redis 7.0 prints a score for the digest (snprintf "%.17g"). Sorted set scores are never
 * NaN; infinities print as inf / -inf.
 */
function scoreText(score: number): string {
  return formatDouble(score);
}

/**
 * xorObjectDigest: mixes the value of `key` (type, content, whether it has a TTL) into `digest`.
 * Members stored as integers (intsets, listpack integers) hash as their decimal text, exactly as
 * Redis decodes them.
 */
function xorObjectDigest(db: Database, key: string, digest: Buffer, v: Value): void {
  if (typeof v === 'string' || v instanceof MutableString) {
    mixDigest(digest, uint32be(OBJ_STRING));
    mixDigest(digest, typeof v === 'string' ? v : v.view());
  } else if (v instanceof ListValue) {
    mixDigest(digest, uint32be(OBJ_LIST));
    for (let i = 0; i < v.length; i++) mixDigest(digest, v.at(i));
  } else if (v instanceof SetValue) {
    mixDigest(digest, uint32be(OBJ_SET));
    v.forEach((m) => {
      xorDigest(digest, m);
    });
  } else if (v instanceof ZSetValue) {
    mixDigest(digest, uint32be(OBJ_ZSET));
    const ele = Buffer.alloc(20);
    v.forEach((member, score) => {
      ele.fill(0);
      mixDigest(ele, member);
      mixDigest(ele, scoreText(score));
      xorDigest(digest, ele);
    });
  } else if (v instanceof HashValue) {
    mixDigest(digest, uint32be(OBJ_HASH));
    const ele = Buffer.alloc(20);
    v.forEach((field, value) => {
      ele.fill(0);
      mixDigest(ele, field);
      mixDigest(ele, value);
      xorDigest(digest, ele);
    });
  } else if (v instanceof StreamValue) {
    // Entries only, in order, each id as "<ms>.<seq>": groups are not part of the digest.
    mixDigest(digest, uint32be(OBJ_STREAM));
    v.range(0n, MAX_ID, false, (e) => {
      const id = e.id;
      mixDigest(digest, `${id >> 64n}.${id & U64_MAX}`);
      for (const part of e.fields()) mixDigest(digest, part);
      return true;
    });
  } else {
    throw new Error(`DEBUG DIGEST: unknown value type ${(v as { type?: string }).type ?? typeof v}`);
  }
  if (db.expires.has(key)) xorDigest(digest, EXPIRE_MARK);
}

/**
 * computeDatasetDigest: every key of every database, logically expired ones included (Redis walks
 * the dicts), each db's id mixed in first so the same data in another db differs. 20 zero bytes
 * for an empty data set.
 */
export function datasetDigest(dbs: readonly Database[]): string {
  const final = Buffer.alloc(20);
  const digest = Buffer.alloc(20);
  for (const db of dbs) {
    if (db.data.size === 0) continue;
    mixDigest(final, uint32be(db.id));
    db.data.forEach((key, value) => {
      digest.fill(0);
      mixDigest(digest, key);
      xorObjectDigest(db, key, digest, value);
      xorDigest(final, digest);
    });
  }
  return final.toString('hex');
}

/** DEBUG DIGEST-VALUE: one key's value digest (40 zeros when the key does not exist). */
export function valueDigest(db: Database, key: string): string {
  const digest = Buffer.alloc(20);
  // Like Redis: the dict directly, so logically expired keys still count.
  const v = db.data.get(key);
  if (v !== undefined) xorObjectDigest(db, key, digest, v);
  return digest.toString('hex');
}
