/** Expected failures (port in use, binary missing, bad config …): printed as plain words, no stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
