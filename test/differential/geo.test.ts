/**
 * GEO against redis-server 7.0: scores of random points, distances, hashes and positions byte for
 * byte, every search form (radius and box, from a member or a point, COUNT [ANY], ASC/DESC,
 * WITH*), the stores and what they propagate, errors.
 */
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { assertSameEvents } from '../support/keyspace-events.js';
import { PropagationDiff } from '../support/propagation-diff.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';

const SICILY =
  'GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.222245 edge2';

describe('GEO: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('GEOADD options, GEOPOS, GEODIST, GEOHASH, in RESP2 and RESP3', () =>
    pair.run([
      SICILY,
      'ZRANGE Sicily 0 -1 WITHSCORES',
      'GEOADD Sicily NX 13.361389 38.115556 Palermo 1 1 New',
      'GEOADD Sicily XX CH 13 38 Palermo 2 2 Other',
      'GEOADD Sicily CH XX 13 38 Palermo',
      'GEOADD Sicily NX XX 1 1 a',
      'GEOADD Sicily 1 1',
      'GEOADD Sicily 1 1 a 2',
      'GEOADD Sicily 181 0 a',
      'GEOADD Sicily 0 85.06 a',
      'GEOADD Sicily -180 -85.05112878 min 180 85.05112878 max',
      'GEOADD Sicily abc 1 a',
      'GEOADD Sicily 1 nan a',
      'GEOADD Sicily GT 1 1 a',
      'GEOPOS Sicily Palermo Catania nonex min max New',
      'GEOPOS nokey a b',
      'GEODIST Sicily Palermo Catania',
      'GEODIST Sicily Palermo Catania km',
      'GEODIST Sicily Palermo Catania MI',
      'GEODIST Sicily Palermo Catania ft',
      'GEODIST Sicily Palermo Catania yards',
      'GEODIST Sicily Palermo nonex',
      'GEODIST nokey a b',
      'GEODIST Sicily Palermo Catania km extra',
      'GEODIST Sicily min max',
      'GEOHASH Sicily Palermo Catania nonex min max',
      'GEOHASH nokey a',
      'HELLO 3',
      'GEOPOS Sicily Palermo nonex',
      'GEODIST Sicily Palermo nonex',
      'GEORADIUS Sicily 15 37 200 km WITHCOORD WITHDIST',
      'HELLO 2',
      'SET str x',
      'GEOADD str 1 1 a',
      'GEOPOS str a',
      'ZADD plain -5 neg 1e20 huge 123 small',
      'GEOPOS plain neg huge small',
      'GEOHASH plain neg huge small',
    ]));

  test('GEORADIUS, GEORADIUSBYMEMBER and their _RO forms', () =>
    pair.run([
      SICILY,
      'GEORADIUS Sicily 15 37 200 km',
      'GEORADIUS Sicily 15 37 200 km ASC',
      'GEORADIUS Sicily 15 37 200 km DESC WITHDIST WITHHASH WITHCOORD',
      'GEORADIUS Sicily 15 37 500 km COUNT 2',
      'GEORADIUS Sicily 15 37 500 km COUNT 2 DESC',
      'GEORADIUS Sicily 15 37 500 km COUNT 1 ANY',
      'GEORADIUS Sicily 15 37 500 km ANY',
      'GEORADIUS Sicily 15 37 500 km COUNT 0',
      'GEORADIUS Sicily 15 37 500 km COUNT -1',
      'GEORADIUS Sicily 15 37 500 km COUNT x',
      'GEORADIUS Sicily 15 37 -1 km',
      'GEORADIUS Sicily 15 37 abc km',
      'GEORADIUS Sicily 15 37 10 parsecs',
      'GEORADIUS Sicily 15 37 0 m',
      'GEORADIUS Sicily 15 37 20000 km',
      'GEORADIUS Sicily 15 37 1 mi WITHDIST',
      'GEORADIUS Sicily 200 37 1 km',
      'GEORADIUS Sicily 15 37 200 km NOPE',
      'GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST',
      'GEORADIUS Sicily 15 37 200 km STORE dst',
      'ZRANGE dst 0 -1 WITHSCORES',
      'GEORADIUS Sicily 15 37 200 km STOREDIST dst2 DESC COUNT 1',
      'ZRANGE dst2 0 -1 WITHSCORES',
      'OBJECT ENCODING dst2',
      'GEORADIUS nokey 15 37 200 km',
      'GEORADIUS nokey 15 37 200 km STORE dst',
      'EXISTS dst',
      'GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST',
      'GEORADIUSBYMEMBER Sicily nonex 200 km',
      'GEORADIUSBYMEMBER nokey nonex 200 km',
      'GEORADIUSBYMEMBER nokey nonex 200 km STORE x',
      'GEORADIUSBYMEMBER Sicily Palermo 200 km STORE d3',
      'ZRANGE d3 0 -1',
      'GEORADIUS_RO Sicily 15 37 200 km WITHDIST',
      'GEORADIUS_RO Sicily 15 37 200 km STORE x',
      'GEORADIUSBYMEMBER_RO Sicily Palermo 100 km',
      'GEORADIUSBYMEMBER_RO Sicily Palermo 100 km STOREDIST x',
    ]));

  test('GEOSEARCH and GEOSEARCHSTORE', () =>
    pair.run([
      SICILY,
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC',
      'GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 2',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 2 ANY',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 m',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX a 1 km',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 b km',
      'GEOSEARCH Sicily FROMLONLAT 15 37',
      'GEOSEARCH Sicily BYRADIUS 10 km',
      'GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 10 km',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km BYBOX 1 1 km',
      'GEOSEARCH Sicily FROMMEMBER nonex BYRADIUS 10 km',
      'GEOSEARCH nokey FROMMEMBER nonex BYRADIUS 10 km',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km STORE x',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km STOREDIST',
      'GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
      'ZRANGE dst 0 -1 WITHSCORES',
      'GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 3 DESC',
      'ZRANGE dst 0 -1 WITHSCORES',
      'GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST',
      'GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0 BYRADIUS 1 m',
      'EXISTS dst',
      'GEOSEARCHSTORE dst nokey FROMLONLAT 0 0 BYRADIUS 1 m',
      'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY',
    ]));

  test('random points: scores, positions, distances and searches agree', async () => {
    const rand = seeded(4242);
    const steps: Step[] = [];
    for (let round = 0; round < 6; round++) {
      const key = `pts${round}`;
      const argv = ['GEOADD', key];
      // Clustered points (so searches find many), plus some near the poles and the date line.
      const cx = rand() * 360 - 180;
      const cy = rand() * 160 - 80;
      for (let i = 0; i < 200; i++) {
        const far = rand() < 0.1;
        const lon = far ? rand() * 360 - 180 : Math.max(-180, Math.min(180, cx + (rand() - 0.5) * 4));
        const lat = far ? rand() * 170 - 85 : Math.max(-85, Math.min(85, cy + (rand() - 0.5) * 4));
        argv.push(lon.toFixed(6), lat.toFixed(6), `m${i}`);
      }
      steps.push(argv, ['ZRANGE', key, '0', '-1', 'WITHSCORES']);
      const members = Array.from({ length: 20 }, (_, i) => `m${i * 7}`);
      steps.push(['GEOPOS', key, ...members], ['GEOHASH', key, ...members]);
      for (let i = 0; i < 10; i++) steps.push(['GEODIST', key, `m${i}`, `m${199 - i}`, 'km']);
      for (const radius of ['1', '50', '300', '3000']) {
        steps.push(
          [
            'GEOSEARCH',
            key,
            'FROMLONLAT',
            String(cx),
            String(cy),
            'BYRADIUS',
            radius,
            'km',
            'ASC',
            'WITHDIST',
            'WITHCOORD',
          ],
          [
            'GEOSEARCH',
            key,
            'FROMMEMBER',
            'm3',
            'BYBOX',
            radius,
            String(Number(radius) * 2),
            'km',
            'DESC',
            'WITHDIST',
          ],
          ['GEOSEARCH', key, 'FROMLONLAT', String(cx), String(cy), 'BYRADIUS', radius, 'km', 'COUNT', '5'],
          ['GEORADIUS', key, String(cx), String(cy), radius, 'mi', 'WITHHASH'],
        );
      }
    }
    await pair.run(steps);
  });

  test('keyspace events: GEOADD is zadd, stores are georadiusstore / geosearchstore', async () => {
    const script = [
      SICILY,
      'GEORADIUS Sicily 15 37 200 km STORE d',
      'GEOSEARCHSTORE d2 Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
      'GEOSEARCHSTORE d2 Sicily FROMLONLAT 0 0 BYRADIUS 1 m',
    ];
    await assertSameEvents(pair.redis.port, pair.ts.port, script, 'KEA');
  });
});

describe('GEO: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start();
  });
  after(() => diff.stop());

  test('GEOADD as ZADD; the stores as sent; searches not at all', async () => {
    await diff.assertSame([
      SICILY,
      'GEOADD Sicily XX CH 13 38 Palermo',
      'GEOADD Sicily NX 13 38 Palermo',
      'GEORADIUS Sicily 15 37 200 km',
      'GEORADIUS Sicily 15 37 200 km STORE d',
      'GEOSEARCHSTORE d2 Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST',
      'GEOSEARCHSTORE d2 Sicily FROMLONLAT 0 0 BYRADIUS 1 m',
    ]);
  });
});
