/**
 * redlock 5's types: its package.json "exports" do not point at them, so NodeNext resolution cannot
 * find its own index.d.ts. What the tests use of it.
 */
declare module 'redlock' {
  import type { Redis } from 'ioredis';

  export class ExecutionError extends Error {}

  export interface Lock {
    readonly value: string;
    extend(duration: number): Promise<Lock>;
    release(): Promise<unknown>;
  }

  export default class Redlock {
    constructor(clients: Redis[], settings?: { retryCount?: number });
    acquire(resources: string[], duration: number): Promise<Lock>;
  }
}
