/** Redis's redactClientCommandArgument: secrets never reach MONITOR or SLOWLOG. The handler
 * replaces an argument it has consumed; call() logs the argv afterwards. */
export function redact(argv: string[], index: number): void {
  if (index < argv.length) argv[index] = '(redacted)';
}
