/**
 * Directive values tsredis cannot honour yet and that would leave the server less protected, less
 * bounded or less durable than the configuration asks for if they were accepted and ignored. A
 * config file with one of them does not start, and CONFIG SET refuses it; the default (off)
 * values load as usual.
 */

const REFUSING = 'refusing to run with less than the configuration asks for';

export interface Refusal {
  /** The value that is still accepted, in config syntax (for the README). */
  readonly allowed: string;
  /** The reason for any other value, or null when the value is allowed. */
  check(value: unknown): string | null;
}

function unless(allowed: string, isAllowed: (value: unknown) => boolean, reason: string): Refusal {
  return { allowed, check: (value) => (isAllowed(value) ? null : reason) };
}

const zero = (v: unknown) => v === 0n || v === 0;
const no = (v: unknown) => v === false;

export const REFUSALS: Readonly<Record<string, Refusal>> = {
  'cluster-enabled': unless('no', no, `cluster mode is not implemented in tsredis yet; ${REFUSING}`),
  'propagation-error-behavior': unless(
    'ignore',
    zero,
    `propagation-error-behavior other than ignore is not implemented in tsredis yet; ${REFUSING}`,
  ),
  'socket-mark-id': unless('0', zero, `Node.js cannot mark sockets (SO_MARK); ${REFUSING}`),
  'syslog-enabled': unless('no', no, `syslog is not implemented in tsredis, use logfile; ${REFUSING}`),
  'maxmemory-clients': unless(
    '0',
    zero,
    `client eviction (maxmemory-clients) is not implemented in tsredis yet; ${REFUSING}`,
  ),
};
