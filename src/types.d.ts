// Node's Buffer has fast latin1 accessors that @types/node does not declare.
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}

export {};
