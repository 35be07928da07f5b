/**
 * Redis 7.0's geohash (geohash.c, geohash_helper.c): 52-bit interleaved cells over longitude
 * -180..180 and latitude -85.05112878..85.05112878 (the score of a GEO member), neighbours, the
 * cells covering a search shape, and the haversine distance on Redis's earth radius. Cells hold at
 * most 52 bits, so plain doubles carry them exactly.
 */

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

const D_R = Math.PI / 180.0;
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const TWO_32 = 4294967296;

export interface Cell {
  /** 2 * step interleaved bits (latitude in the even positions). */
  bits: number;
  step: number;
}

export interface Range {
  min: number;
  max: number;
}

export interface Area {
  longitude: Range;
  latitude: Range;
}

const WGS84: [Range, Range] = [
  { min: GEO_LONG_MIN, max: GEO_LONG_MAX },
  { min: GEO_LAT_MIN, max: GEO_LAT_MAX },
];

/** The 16 low bits of x spread to the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** The even bits of a 32-bit word packed into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** interleave64 for values below 2^27 (x in the even bits, y in the odd ones). */
function interleave(x: number, y: number): number {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
  return hi * TWO_32 + lo;
}

/** deinterleave64: [even bits, odd bits] of a value below 2^53. */
function deinterleave(bits: number): [number, number] {
  const lo = bits % TWO_32;
  const hi = Math.floor(bits / TWO_32);
  const x = compact16(lo) | (compact16(hi) << 16);
  const y = compact16(lo >>> 1) | (compact16(hi >>> 1) << 16);
  return [x >>> 0, y >>> 0];
}

/** geohashEncode: null outside the ranges (or Redis's WGS84 limits). */
export function encode(longitude: number, latitude: number, step: number, ranges = WGS84): Cell | null {
  const [lonRange, latRange] = ranges;
  if (
    longitude > GEO_LONG_MAX ||
    longitude < GEO_LONG_MIN ||
    latitude > GEO_LAT_MAX ||
    latitude < GEO_LAT_MIN
  )
    return null;
  if (
    latitude < latRange.min ||
    latitude > latRange.max ||
    longitude < lonRange.min ||
    longitude > lonRange.max
  )
    return null;
  const scale = 2 ** step;
  const latOffset = ((latitude - latRange.min) / (latRange.max - latRange.min)) * scale;
  const lonOffset = ((longitude - lonRange.min) / (lonRange.max - lonRange.min)) * scale;
  return { bits: interleave(Math.trunc(latOffset), Math.trunc(lonOffset)), step };
}

/** geohashDecode: the area of a cell (null for the zero cell). */
export function decode(cell: Cell, ranges = WGS84): Area | null {
  if (cell.bits === 0 && cell.step === 0) return null;
  const [lonRange, latRange] = ranges;
  const [ilato, ilono] = deinterleave(cell.bits);
  const scale = 2 ** cell.step;
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  return {
    latitude: {
      min: latRange.min + ((ilato * 1.0) / scale) * latScale,
      max: latRange.min + (((ilato + 1) * 1.0) / scale) * latScale,
    },
    longitude: {
      min: lonRange.min + ((ilono * 1.0) / scale) * lonScale,
      max: lonRange.min + (((ilono + 1) * 1.0) / scale) * lonScale,
    },
  };
}

/** geohashDecodeAreaToLongLat: the centre of an area, clamped to the WGS84 limits. */
function centre(area: Area): [number, number] {
  let lon = (area.longitude.min + area.longitude.max) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (area.latitude.min + area.latitude.max) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  return [lon, lat];
}

/** C's (uint64_t) of a double as gcc compiles it for x86-64 (cvttsd2si, out of range is 2^63). */
function toUint64(d: number): bigint {
  if (d < 2 ** 63) return d > -(2 ** 63) ? BigInt.asUintN(64, BigInt(Math.trunc(d))) : 1n << 63n;
  return d < 2 ** 64 ? BigInt(d) : 0n;
}

/** The point the last decodeScore call found (kept in module slots: searches decode every candidate). */
export let decodedLon = 0;
export let decodedLat = 0;

const STEP_SCALE = 2 ** GEO_STEP_MAX;
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;
const LON_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;

/** decodeGeohash of a member's score into decodedLon / decodedLat, the same arithmetic as decode + centre. */
export function decodeScore(score: number): void {
  if (!(score >= 0 && score < 2 ** 52)) {
    [decodedLon, decodedLat] = pointOf(score);
    return;
  }
  const bits = Math.trunc(score);
  const lo = bits % TWO_32;
  const hi = (bits - lo) / TWO_32;
  const ilato = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const ilono = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  let lat =
    (GEO_LAT_MIN +
      ((ilato * 1.0) / STEP_SCALE) * LAT_SCALE +
      (GEO_LAT_MIN + (((ilato + 1) * 1.0) / STEP_SCALE) * LAT_SCALE)) /
    2;
  let lon =
    (GEO_LONG_MIN +
      ((ilono * 1.0) / STEP_SCALE) * LON_SCALE +
      (GEO_LONG_MIN + (((ilono + 1) * 1.0) / STEP_SCALE) * LON_SCALE)) /
    2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  decodedLon = lon;
  decodedLat = lat;
}

/** decodeGeohash: [longitude, latitude] of a member's score. */
export function pointOf(score: number): [number, number] {
  if (score >= 0 && score < 2 ** 52) {
    decodeScore(score);
    return [decodedLon, decodedLat];
  }
  // Not a geohash (a ZADD score): (uint64_t) of it as x86-64 converts it, then all 64 bits decoded.
  const big = toUint64(score);
  let x = 0;
  let y = 0;
  for (let i = 0; i < 32; i++) {
    x += Number((big >> BigInt(2 * i)) & 1n) * 2 ** i;
    y += Number((big >> BigInt(2 * i + 1)) & 1n) * 2 ** i;
  }
  const scale = 2 ** GEO_STEP_MAX;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  return centre({
    latitude: {
      min: GEO_LAT_MIN + (x / scale) * latScale,
      max: GEO_LAT_MIN + (((x + 1) % 2 ** 32) / scale) * latScale,
    },
    longitude: {
      min: GEO_LONG_MIN + (y / scale) * lonScale,
      max: GEO_LONG_MIN + (((y + 1) % 2 ** 32) / scale) * lonScale,
    },
  });
}

/** The score of a point (geohashEncodeWGS84 at step 26, aligned to 52 bits), null if out of range. */
export function scoreOf(longitude: number, latitude: number): number | null {
  const cell = encode(longitude, latitude, GEO_STEP_MAX);
  return cell === null ? null : cell.bits;
}

/** geohashAlign52Bits. */
export function align52(cell: Cell): number {
  return cell.bits * 2 ** (52 - cell.step * 2);
}

function moveBits(cell: Cell, d: number, axisMask: bigint, otherMask: bigint): Cell {
  if (d === 0) return cell;
  const bits = BigInt(cell.bits);
  let axis = bits & axisMask;
  const other = bits & otherMask;
  const shift = BigInt(64 - cell.step * 2);
  const zz = BigInt.asUintN(64, otherMask >> shift);
  if (d > 0) axis = axis + (zz + 1n);
  else axis = BigInt.asUintN(64, (axis | zz) - (zz + 1n));
  axis &= axisMask >> shift;
  return { bits: Number(axis | other), step: cell.step };
}

const ODD = 0xaaaaaaaaaaaaaaaan;
const EVEN = 0x5555555555555555n;
const moveX = (c: Cell, d: number) => moveBits(c, d, ODD, EVEN);
const moveY = (c: Cell, d: number) => moveBits(c, d, EVEN, ODD);

/** geohashNeighbors, in membersOfAllNeighbors's order after the cell itself. */
function neighbours(cell: Cell): Record<string, Cell> {
  return {
    north: moveY(cell, 1),
    south: moveY(cell, -1),
    east: moveX(cell, 1),
    west: moveX(cell, -1),
    north_east: moveY(moveX(cell, 1), 1),
    north_west: moveY(moveX(cell, -1), 1),
    south_east: moveY(moveX(cell, 1), -1),
    south_west: moveY(moveX(cell, -1), -1),
  };
}

/** geohashEstimateStepsByRadius. */
function stepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(Math.max(step, 1), 26);
}

export interface Shape {
  lon: number;
  lat: number;
  /** Meters per unit. */
  conversion: number;
  /** BYRADIUS, or BYBOX width and height (in units). */
  radius?: number;
  width?: number;
  height?: number;
}

const degRad = (a: number) => a * D_R;
const radDeg = (a: number) => a / D_R;

/** geohashBoundingBox: [min lon, min lat, max lon, max lat]. */
function boundingBox(s: Shape): [number, number, number, number] {
  const height = s.conversion * (s.radius !== undefined ? s.radius : s.height! / 2);
  const width = s.conversion * (s.radius !== undefined ? s.radius : s.width! / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat - latDelta)));
  const southern = s.lat < 0;
  return [
    southern ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop,
    s.lat - latDelta,
    southern ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop,
    s.lat + latDelta,
  ];
}

const ZERO: Cell = { bits: 0, step: 0 };

/** geohashCalculateAreasByShapeWGS84: the centre cell and its 8 neighbours (zero cells skipped), in search order. */
export function searchCells(s: Shape): Cell[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  let radiusMeters =
    s.radius !== undefined
      ? s.radius
      : Math.sqrt((s.width! / 2) * (s.width! / 2) + (s.height! / 2) * (s.height! / 2));
  radiusMeters *= s.conversion;
  let steps = stepsByRadius(radiusMeters, s.lat);
  let hash = encode(s.lon, s.lat, steps) as Cell;
  let n = neighbours(hash);
  let area = decode(hash) as Area;
  const north = decode(n.north);
  const south = decode(n.south);
  const east = decode(n.east);
  const west = decode(n.west);
  const decrease =
    (north !== null && north.latitude.max < maxLat) ||
    (south !== null && south.latitude.min > minLat) ||
    (east !== null && east.longitude.max < maxLon) ||
    (west !== null && west.longitude.min > minLon);
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(s.lon, s.lat, steps) as Cell;
    n = neighbours(hash);
    area = decode(hash) as Area;
  }
  if (steps >= 2) {
    if (area.latitude.min < minLat) n.south = n.south_west = n.south_east = ZERO;
    if (area.latitude.max > maxLat) n.north = n.north_east = n.north_west = ZERO;
    if (area.longitude.min < minLon) n.west = n.south_west = n.north_west = ZERO;
    if (area.longitude.max > maxLon) n.east = n.south_east = n.north_east = ZERO;
  }
  return [hash, n.north, n.south, n.east, n.west, n.north_east, n.north_west, n.south_east, n.south_west];
}

/** geohashGetDistance: haversine, in meters. */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return (
    2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v))
  );
}

/** The distance from the shape's centre, or null when the point is outside the shape. */
export function distanceInShape(s: Shape, lon: number, lat: number): number | null {
  if (s.radius !== undefined) {
    const d = distance(s.lon, s.lat, lon, lat);
    return d > s.radius * s.conversion ? null : d;
  }
  const lonDistance = distance(lon, lat, s.lon, lat);
  const latDistance = distance(lon, lat, lon, s.lat);
  if (lonDistance > (s.width! * s.conversion) / 2 || latDistance > (s.height! * s.conversion) / 2)
    return null;
  return distance(s.lon, s.lat, lon, lat);
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character standard geohash of a member's score (re-encoded on -90..90). */
export function geohashString(score: number): string {
  const [lon, lat] = pointOf(score);
  const cell = encode(lon, lat, 26, [
    { min: -180, max: 180 },
    { min: -90, max: 90 },
  ]);
  const bits = BigInt(cell?.bits ?? 0);
  let out = '';
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEOALPHABET[idx];
  }
  return out;
}
