/** A raw RESP connection for tests: send exact bytes, read exact replies (protocol/resp-connection). */
import { RespConnection, type RespReply } from '../../src/protocol/resp-connection.js';
import { splitArgs } from '../../src/protocol/split-args.js';

export type Reply = RespReply;

export class RawClient extends RespConnection {
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return RawClient.open({ host, port, localAddress });
  }

  /** Sends a command given as argv or as an inline-style line parsed with Redis's quoting rules. */
  override send(command: string | ReadonlyArray<string | Buffer>): void {
    const argv = typeof command === 'string' ? splitArgs(command) : command;
    if (argv === null) throw new Error(`bad command line: ${command}`);
    super.send(argv);
  }

  override call(command: string | ReadonlyArray<string | Buffer>, timeoutMs?: number): Promise<Reply> {
    this.send(command);
    return this.read(timeoutMs);
  }

  /** Raw reply text (latin1) of one command. */
  async callRaw(command: string | ReadonlyArray<string | Buffer>): Promise<string> {
    return (await this.call(command)).raw.toString('latin1');
  }
}

/** Escapes bytes like the golden corpus does: printable ASCII as is, \r \n \t \\ \" and \xNN. */
export function escapeBytes(s: string | Buffer): string {
  const str = typeof s === 'string' ? s : s.toString('latin1');
  let out = '';
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 0x0d) out += '\\r';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x22) out += '\\"';
    else if (c >= 0x20 && c < 0x7f) out += str[i];
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}
