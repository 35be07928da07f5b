/**
 * The GEO commands as Redis 7.0's geo.c: members of a sorted set scored by their 52-bit geohash
 * (lib/geohash.ts). GEOADD is ZADD (and propagates as ZADD), searches walk the 9 cells covering
 * the shape, filter by distance, sort with qsort (whole) or Redis's pqsort (COUNT), and print
 * distances with %.4f and coordinates as long doubles (%.17Lf, trailing zeros removed).
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import {
  align52,
  type Cell,
  decodedLat,
  decodedLon,
  decodeScore,
  distance,
  distanceInShape,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  geohashString,
  pointOf,
  type Shape,
  scoreOf,
  searchCells,
} from '../lib/geohash.js';
import { formatFixed, formatLongDoubleHuman, fromDouble } from '../lib/long-double.js';
import { parseDouble, parseInt64 } from '../lib/numbers.js';
import { pqsort } from '../lib/pqsort.js';
import { ZSetValue } from '../store/types/zset.js';
import { is, readKey } from './args.js';
import { storeKey, zsetLimits } from './coll-common.js';
import { ERR } from './replies.js';
import { zsetCommands } from './zsets.js';

interface Point {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/** getDoubleFromObjectOrReply with Redis's message (null after replying). */
function doubleOr(ctx: CommandContext, s: string, message = 'ERR value is not a valid float'): number | null {
  const v = parseDouble(s);
  if (v === null) ctx.reply.error(message);
  return v;
}

/** extractLongLatOrReply. */
function lonLatArg(ctx: CommandContext, lonArg: string, latArg: string): [number, number] | null {
  const lon = doubleOr(ctx, lonArg);
  if (lon === null) return null;
  const lat = doubleOr(ctx, latArg);
  if (lat === null) return null;
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    ctx.reply.error(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
    return null;
  }
  return [lon, lat];
}

/** extractUnitOrReply: meters per unit, or null after replying. */
function unitArg(ctx: CommandContext, s: string): number | null {
  if (is(s, 'm')) return 1;
  if (is(s, 'km')) return 1000;
  if (is(s, 'ft')) return 0.3048;
  if (is(s, 'mi')) return 1609.34;
  ctx.reply.error('ERR unsupported unit provided. please use M, KM, FT, MI');
  return null;
}

function zsetOrReply(ctx: CommandContext, key: string): ZSetValue | undefined | null {
  const v = readKey(ctx, key);
  if (v === undefined) return undefined;
  if (!(v instanceof ZSetValue)) {
    ctx.reply.error(ERR.wrongType);
    return null;
  }
  return v;
}

/** addReplyHumanLongDouble of a coordinate. */
function replyCoordinate(ctx: CommandContext, d: number): void {
  ctx.reply.double(d, formatLongDoubleHuman(fromDouble(d)));
}

function geoadd(ctx: CommandContext, argv: string[]): void {
  let xx = false;
  let nx = false;
  let first = 2;
  for (; first < argv.length; first++) {
    const opt = argv[first];
    if (is(opt, 'nx')) nx = true;
    else if (is(opt, 'xx')) xx = true;
    else if (!is(opt, 'ch')) break;
  }
  if ((argv.length - first) % 3 !== 0 || (xx && nx)) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const zadd = ['zadd', ...argv.slice(1, first)];
  for (let i = first; i < argv.length; i += 3) {
    const xy = lonLatArg(ctx, argv[i], argv[i + 1]);
    if (xy === null) return;
    zadd.push(String(scoreOf(xy[0], xy[1])), argv[i + 2]);
  }
  // Redis replaces the command with this ZADD: it is what runs and what propagates.
  ctx.rewriteArgv(zadd);
  zsetCommands.zadd(ctx, zadd);
}

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

/** membersOfAllNeighbors: the points of the sorted set inside the shape, cell by cell. */
function pointsInShape(z: ZSetValue, shape: Shape, limit: number): Point[] {
  const points: Point[] = [];
  const cells = searchCells(shape);
  let last: Cell | null = null;
  for (const cell of cells) {
    if (cell.bits === 0 && cell.step === 0) continue;
    // Huge radii make neighbours coincide: the same range is not walked twice.
    if (last !== null && cell.bits === last.bits && cell.step === last.step) continue;
    if (points.length > 0 && limit > 0 && points.length >= limit) break;
    const min = align52(cell);
    const max = align52({ bits: cell.bits + 1, step: cell.step });
    let full = false;
    z.rangeByScore({ min, max, minex: false, maxex: true }, false, 0, -1, (member, score) => {
      if (full) return;
      decodeScore(score);
      const lon = decodedLon;
      const lat = decodedLat;
      const dist = distanceInShape(shape, lon, lat);
      if (dist === null) return;
      points.push({ member, score, lon, lat, dist });
      if (limit > 0 && points.length >= limit) full = true;
    });
    last = cell;
  }
  return points;
}

function georadiusGeneric(ctx: CommandContext, argv: string[], srcIndex: number, flags: number): void {
  let store: string | null = null;
  let storeDist = false;
  const z = zsetOrReply(ctx, argv[srcIndex]);
  if (z === null) return;
  let base: number;
  const shape: Shape = { lon: 0, lat: 0, conversion: 1 };
  const distanceArgs = (at: number): boolean => {
    const r = doubleOr(ctx, argv[at], 'ERR need numeric radius');
    if (r === null) return false;
    if (r < 0) {
      ctx.reply.error('ERR radius cannot be negative');
      return false;
    }
    const unit = unitArg(ctx, argv[at + 1]);
    if (unit === null) return false;
    shape.radius = r;
    shape.width = shape.height = undefined;
    shape.conversion = unit;
    return true;
  };
  const memberPoint = (member: string): boolean => {
    const score = z!.score(member);
    if (score === undefined) {
      ctx.reply.error('ERR could not decode requested zset member');
      return false;
    }
    [shape.lon, shape.lat] = pointOf(score);
    return true;
  };
  if (flags & RADIUS_COORDS) {
    base = 6;
    const xy = lonLatArg(ctx, argv[2], argv[3]);
    if (xy === null) return;
    [shape.lon, shape.lat] = xy;
    if (!distanceArgs(4)) return;
  } else if (flags & RADIUS_MEMBER) {
    base = 5;
    if (z !== undefined) {
      if (!memberPoint(argv[2])) return;
      if (!distanceArgs(3)) return;
    }
  } else {
    base = 2;
    if (flags & GEOSEARCHSTORE) {
      base = 3;
      store = argv[1];
    }
  }
  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort: 'none' | 'asc' | 'desc' = 'none';
  let any = false;
  let count = 0;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[base + i];
    const at = base + i;
    if (is(arg, 'withdist')) withDist = true;
    else if (is(arg, 'withhash')) withHash = true;
    else if (is(arg, 'withcoord')) withCoord = true;
    else if (is(arg, 'any')) any = true;
    else if (is(arg, 'asc')) sort = 'asc';
    else if (is(arg, 'desc')) sort = 'desc';
    else if (is(arg, 'count') && i + 1 < remaining) {
      const n = parseInt64(argv[at + 1]);
      if (n === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (n <= 0) {
        ctx.reply.error('ERR COUNT must be > 0');
        return;
      }
      count = Number(n);
      i++;
    } else if (
      (is(arg, 'store') || is(arg, 'storedist')) &&
      i + 1 < remaining &&
      !(flags & (NOSTORE | GEOSEARCH))
    ) {
      store = argv[at + 1];
      storeDist = is(arg, 'storedist');
      i++;
    } else if (is(arg, 'storedist') && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storeDist = true;
    } else if (is(arg, 'frommember') && i + 1 < remaining && flags & GEOSEARCH && !fromLonLat) {
      if (z !== undefined && !memberPoint(argv[at + 1])) return;
      fromMember = true;
      i++;
    } else if (is(arg, 'fromlonlat') && i + 2 < remaining && flags & GEOSEARCH && !fromMember) {
      const xy = lonLatArg(ctx, argv[at + 1], argv[at + 2]);
      if (xy === null) return;
      [shape.lon, shape.lat] = xy;
      fromLonLat = true;
      i += 2;
    } else if (is(arg, 'byradius') && i + 2 < remaining && flags & GEOSEARCH && !byBox) {
      if (!distanceArgs(at + 1)) return;
      byRadius = true;
      i += 2;
    } else if (is(arg, 'bybox') && i + 3 < remaining && flags & GEOSEARCH && !byRadius) {
      const w = doubleOr(ctx, argv[at + 1], 'ERR need numeric width');
      if (w === null) return;
      const h = doubleOr(ctx, argv[at + 2], 'ERR need numeric height');
      if (h === null) return;
      if (h < 0 || w < 0) {
        ctx.reply.error('ERR height or width cannot be negative');
        return;
      }
      const unit = unitArg(ctx, argv[at + 3]);
      if (unit === null) return;
      shape.width = w;
      shape.height = h;
      shape.radius = undefined;
      shape.conversion = unit;
      byBox = true;
      i += 3;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if (store !== null && (withDist || withHash || withCoord)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    ctx.reply.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if (flags & GEOSEARCH && !(fromMember || fromLonLat)) {
    ctx.reply.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
    return;
  }
  if (flags & GEOSEARCH && !(byRadius || byBox)) {
    ctx.reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
    return;
  }
  if (any && count === 0) {
    ctx.reply.error('ERR the ANY argument requires COUNT argument');
    return;
  }
  if (z === undefined) {
    if (store !== null) {
      if (ctx.db.delete(store)) ctx.changed(store, 'g', 'del');
      ctx.reply.integer(0);
    } else {
      ctx.reply.array(0);
    }
    return;
  }
  if (count !== 0 && sort === 'none' && !any) sort = 'asc';
  const points = pointsInShape(z, shape, any ? count : 0);
  if (points.length === 0 && store === null) {
    ctx.reply.array(0);
    return;
  }
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== 'none') {
    const sign = sort === 'asc' ? 1 : -1;
    const cmp = (a: Point, b: Point) => sign * (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
    if (returned === points.length) points.sort(cmp);
    else pqsort(points, cmp, 0, returned - 1);
  }
  if (store === null) {
    const options = (withDist ? 1 : 0) + (withCoord ? 1 : 0) + (withHash ? 1 : 0);
    ctx.reply.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (options > 0) ctx.reply.array(options + 1);
      ctx.reply.bulk(p.member);
      if (withDist) ctx.reply.bulk(formatFixed(p.dist / shape.conversion, 4));
      if (withHash) ctx.reply.integer(p.score);
      if (withCoord) {
        ctx.reply.array(2);
        replyCoordinate(ctx, p.lon);
        replyCoordinate(ctx, p.lat);
      }
    }
    return;
  }
  if (returned > 0) {
    const out = new ZSetValue(true);
    const limits = zsetLimits(ctx);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      out.insertNew(storeDist ? p.dist / shape.conversion : p.score, p.member, limits);
    }
    out.convertToListpackIfFits(limits);
    storeKey(ctx, store, out);
    ctx.changed(store, 'z', flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore');
    ctx.addDirty(returned - 1);
  } else if (ctx.db.delete(store)) {
    ctx.changed(store, 'g', 'del');
  }
  ctx.reply.integer(returned);
}

function geohash(ctx: CommandContext, argv: string[]): void {
  const z = zsetOrReply(ctx, argv[1]);
  if (z === null) return;
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) ctx.reply.nil();
    else ctx.reply.bulk(geohashString(score));
  }
}

function geopos(ctx: CommandContext, argv: string[]): void {
  const z = zsetOrReply(ctx, argv[1]);
  if (z === null) return;
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) {
      ctx.reply.nilArray();
      continue;
    }
    const [lon, lat] = pointOf(score);
    ctx.reply.array(2);
    replyCoordinate(ctx, lon);
    replyCoordinate(ctx, lat);
  }
}

function geodist(ctx: CommandContext, argv: string[]): void {
  let toMeter = 1;
  if (argv.length === 5) {
    const unit = unitArg(ctx, argv[4]);
    if (unit === null) return;
    toMeter = unit;
  } else if (argv.length > 5) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const z = zsetOrReply(ctx, argv[1]);
  if (z === null) return;
  const s1 = z?.score(argv[2]);
  const s2 = s1 === undefined ? undefined : z?.score(argv[3]);
  if (s1 === undefined || s2 === undefined) {
    ctx.reply.nil();
    return;
  }
  const [lon1, lat1] = pointOf(s1);
  const [lon2, lat2] = pointOf(s2);
  ctx.reply.bulk(formatFixed(distance(lon1, lat1, lon2, lat2) / toMeter, 4));
}

export const geoCommands: CommandFamily = {
  geoadd,
  geohash,
  geopos,
  geodist,
  georadius: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_COORDS),
  georadiusbymember: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER),
  georadius_ro: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_COORDS | NOSTORE),
  georadiusbymember_ro: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER | NOSTORE),
  geosearch: (ctx, argv) => georadiusGeneric(ctx, argv, 1, GEOSEARCH),
  geosearchstore: (ctx, argv) => georadiusGeneric(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE),
};
