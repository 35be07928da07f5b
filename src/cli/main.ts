/** tsredis-cli entry point (being built). */
export async function main(_args: string[]): Promise<number> {
  process.stderr.write('tsredis-cli: not implemented yet\n');
  return 1;
}
