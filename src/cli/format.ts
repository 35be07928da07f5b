/**
 * Reply printing exactly like redis-cli 7.0: the "standard" (tty) format with numbered, indented
 * aggregates, the raw format (what pipes get) and CSV. Strings are latin1 (one char per byte).
 */
import type { RespValue } from '../protocol/resp-reader.js';
import { quoteRepr } from '../protocol/split-args.js';
import type { OutputMode } from './options.js';
import { CliExit, cString } from './output.js';

export interface FormatOptions {
  mbDelim: string;
  cmdDelim: string;
}

/** hiredis reply type numbers, for redis-cli's "Unknown reply type: N" on types it cannot print. */
const HIREDIS_TYPE: Record<RespValue['type'], number> = {
  bulk: 1,
  array: 2,
  integer: 3,
  null: 4,
  simple: 5,
  error: 6,
  double: 7,
  bool: 8,
  map: 9,
  set: 10,
  attribute: 11,
  push: 12,
  bignum: 13,
  verbatim: 14,
};

function unknownType(r: RespValue): never {
  throw new CliExit(1, '', `Unknown reply type: ${HIREDIS_TYPE[r.type]}\n`);
}

/**
 * The whole text printed for one reply. `verbatim` is redis-cli's output_raw_strings (INFO,
 * CLIENT LIST, ...): raw formatting without the command delimiter, in every mode.
 */
export function formatReply(r: RespValue, mode: OutputMode, verbatim: boolean, o: FormatOptions): string {
  if (verbatim) return formatRaw(r, o.mbDelim);
  if (mode === 'standard') return formatTty(r, '');
  if (mode === 'raw') return formatRaw(r, o.mbDelim) + o.cmdDelim;
  return `${formatCsv(r)}\n`;
}

/** A reply that formatTty spreads over several lines (a map value then starts on its own line). */
function isMultiline(r: RespValue): boolean {
  switch (r.type) {
    case 'array':
    case 'set':
    case 'push':
      if (r.value.length === 0) return false;
      return r.value.length > 1 || isMultiline(r.value[0]);
    case 'map':
      if (r.value.length === 0) return false;
      return r.value.length > 2 || isMultiline(r.value[1]);
    default:
      return false;
  }
}

const EMPTY_AGGREGATE: Record<string, string> = {
  array: '(empty array)\n',
  map: '(empty hash)\n',
  set: '(empty set)\n',
  push: '(empty push)\n',
};

export function formatTty(r: RespValue, prefix: string): string {
  switch (r.type) {
    case 'error':
      return `(error) ${cString(r.value)}\n`;
    case 'simple':
      return `${cString(r.value)}\n`;
    case 'integer':
      return `(integer) ${r.value}\n`;
    case 'double':
      return `(double) ${cString(r.value)}\n`;
    case 'bulk':
      return `${quoteRepr(r.value.latin1Slice(0, r.value.length))}\n`;
    case 'verbatim':
      return `${r.value.latin1Slice(0, r.value.length)}\n`;
    case 'null':
      return '(nil)\n';
    case 'bool':
      return r.value ? '(true)\n' : '(false)\n';
    case 'array':
    case 'set':
    case 'push':
    case 'map':
      return formatTtyAggregate(r, prefix);
    default:
      return unknownType(r);
  }
}

function formatTtyAggregate(r: { type: RespValue['type']; value: RespValue[] }, prefix: string): string {
  const items = r.value;
  if (items.length === 0) return EMPTY_AGGREGATE[r.type];
  const isMap = r.type === 'map';
  const count = isMap ? items.length / 2 : items.length;
  const idxlen = String(Math.trunc(count)).length;
  // Nested aggregates are indented by the width of "N) ".
  const childPrefix = prefix + ' '.repeat(idxlen + 2);
  const sep = r.type === 'set' ? '~' : isMap ? '#' : ')';
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const humanIdx = (isMap ? i / 2 : i) + 1;
    // The first entry follows the parent's own index on the same line.
    out += `${i === 0 ? '' : prefix}${String(humanIdx).padStart(idxlen)}${sep} `;
    const item = formatTty(items[i], childPrefix);
    if (isMap) {
      // "key => value": the key's line break is replaced by the arrow.
      out += `${item.slice(0, -1)} => `;
      i++;
      if (isMultiline(items[i])) out += `\n${childPrefix}`;
      out += formatTty(items[i], childPrefix);
    } else {
      out += item;
    }
  }
  return out;
}

export function formatRaw(r: RespValue, mbDelim: string): string {
  switch (r.type) {
    case 'null':
      return '';
    case 'error':
      return `${r.value}\n`;
    case 'simple':
      return r.value;
    case 'bulk':
    case 'verbatim':
      return r.value.latin1Slice(0, r.value.length);
    case 'bool':
      return r.value ? '(true)' : '(false)';
    case 'integer':
      return String(r.value);
    case 'double':
      return cString(r.value);
    case 'set':
    case 'array':
    case 'push':
      return r.value.map((item) => formatRaw(item, mbDelim)).join(mbDelim);
    case 'map': {
      const parts: string[] = [];
      for (let i = 0; i < r.value.length; i += 2) {
        parts.push(`${formatRaw(r.value[i], mbDelim)} ${formatRaw(r.value[i + 1], mbDelim)}`);
      }
      return parts.join(mbDelim);
    }
    default:
      return unknownType(r);
  }
}

export function formatCsv(r: RespValue): string {
  switch (r.type) {
    case 'error':
      return `ERROR,${quoteRepr(cString(r.value))}`;
    case 'simple':
      return quoteRepr(r.value);
    case 'integer':
      return String(r.value);
    case 'double':
      return cString(r.value);
    case 'bulk':
    case 'verbatim':
      return quoteRepr(r.value.latin1Slice(0, r.value.length));
    case 'null':
      return 'NULL';
    case 'bool':
      return r.value ? 'true' : 'false';
    case 'array':
    case 'set':
    case 'push':
    case 'map':
      return r.value.map(formatCsv).join(',');
    default:
      return unknownType(r);
  }
}
