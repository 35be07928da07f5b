/**
 * Progress a person can follow: on a terminal one line redrawn in place (with a spinner); in a pipe
 * or a log, a line only when the message changes (byte counts at most once a second).
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  private frame = 0;
  private shown = '';
  private lastKey = '';
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.tty = stream.isTTY === true;
  }

  /** Shows `message`; `key` is the part whose change deserves a new line when not on a terminal. */
  update(message: string, key = message): void {
    if (this.tty) {
      this.frame = (this.frame + 1) % FRAMES.length;
      this.stream.write(`\r\x1b[K${FRAMES[this.frame]} ${message}`);
      this.shown = message;
      return;
    }
    const now = Date.now();
    if (key !== this.lastKey || (message !== this.shown && now - this.lastPrint >= 1000)) {
      this.stream.write(`  … ${message}\n`);
      this.lastKey = key;
      this.shown = message;
      this.lastPrint = now;
    }
  }

  /** Replaces the live line with a permanent one. */
  done(message: string): void {
    if (this.tty) this.stream.write('\r\x1b[K');
    this.stream.write(`  ✓ ${message}\n`);
    this.shown = '';
    this.lastKey = '';
  }

  clear(): void {
    if (this.tty && this.shown !== '') this.stream.write('\r\x1b[K');
    this.shown = '';
  }
}
