/** tsredis umbrella command: topology launcher (see the topology issue). */
export async function main(_args: string[]): Promise<number> {
  process.stderr.write('tsredis: no subcommands yet\n');
  return 1;
}
