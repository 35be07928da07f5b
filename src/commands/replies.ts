import { OOM_ERROR } from '../core/errors.js';

/** Redis's exact error texts shared by many commands. */
export const ERR = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  noSuchKey: 'ERR no such key',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  outOfRangePositive: 'ERR value is out of range, must be positive',
  invalidCursor: 'ERR invalid cursor',
  oom: OOM_ERROR,
} as const;
