/**
 * LOLWUT as redis-server 7.0 draws it (lolwut.c, lolwut5.c, lolwut6.c): the version line by
 * default, Georg Nees's "Schotter" in braille for VERSION 5, the 8-bit skyline for VERSION 6. The
 * drawing uses C's float arithmetic and round(); the random parts differ from run to run, as in Redis.
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { REDIS_VERSION } from '../lib/version.js';
import { numArg } from './args.js';

class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  /** Bresenham, as lwDrawLine. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /** lwDrawSquare: the corners of a square inscribed in a circle, rotated by angle. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: Redis divides by this literal, not by SQRT2.
    size = Math.fround(cRound(Math.fround(size / 1.4142135623)));
    let k = Math.fround(Math.PI / 4 + angle);
    const px: number[] = [];
    const py: number[] = [];
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = Math.fround(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/** C's round(): halves away from zero. */
function cRound(v: number): number {
  const t = Math.trunc(v);
  return Math.abs(v - t) >= 0.5 ? t + Math.sign(v) : t;
}

/** rand() of C: 0 .. RAND_MAX. */
const RAND_MAX = 2147483647;
function rand(): number {
  return Math.floor(Math.random() * (RAND_MAX + 1));
}

function schotter(cols: number, perRow: number, perCol: number): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = Math.fround((width - padding * 2) / perRow);
  const height = Math.trunc(Math.fround(Math.fround(side * perCol) + padding * 2));
  const canvas = new Canvas(width, height, 0);
  const f = Math.fround;
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        const r = () => f(f(f(f(rand()) / f(RAND_MAX)) / perCol) * y);
        let r1 = r();
        let r2 = r();
        let r3 = r();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** 2x4 pixels per braille character (U+2800 + the dot bits). */
function renderBraille(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      const g = (dx: number, dy: number) => canvas.get(x + dx, y + dy);
      const bits =
        g(0, 0) |
        (g(0, 1) << 1) |
        (g(0, 2) << 2) |
        (g(1, 0) << 3) |
        (g(1, 1) << 4) |
        (g(1, 2) << 5) |
        (g(0, 3) << 6) |
        (g(1, 3) << 7);
      text += String.fromCharCode(0x2800 + bits);
    }
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

function skyscraper(canvas: Canvas, s: Skyscraper): void {
  const starty = canvas.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      // The roof is four pixels narrower.
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (endy + 1);
        // Windows two pixels wide and one tall (terminal "pixels" are not square).
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do color = 1 + (rand() % 2);
          while (color === s.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

function skyline(canvas: Canvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(h / 2) + Math.trunc((rand() % h) / (color === 2 ? 2 : 3));
      skyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    skyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

const GRAYS = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];

function renderGrays(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) text += `\x1b[${GRAYS[canvas.get(x, y)] ?? GRAYS[0]} \x1b[0m`;
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
}

/** Optional long arguments with Redis's defaults and clamps; null after replying the error. */
function longArgs(ctx: CommandContext, args: string[], defaults: number[], max: number[]): number[] | null {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const v = numArg(ctx, args[i]);
    if (v === null) return null;
    out[i] = Math.min(Math.max(v, 1), max[i]);
  }
  return out;
}

function verbatimUtf8(ctx: CommandContext, text: string): void {
  ctx.reply.verbatim(Buffer.from(text, 'utf8').toString('latin1'), 'txt');
}

function lolwut(ctx: CommandContext, argv: string[]): void {
  let version = REDIS_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && argv[1].toLowerCase() === 'version') {
    const v = numArg(ctx, argv[2]);
    if (v === null) return;
    // snprintf("%u.0.0", (unsigned int)ver)
    version = `${Number(BigInt.asUintN(32, BigInt(v)))}.0.0`;
    args = argv.slice(3);
  }
  const [a, b, c] = version;
  if ((a === '5' && b === '.' && c !== '9') || (a === '4' && b === '.' && c === '9')) {
    const opts = longArgs(ctx, args, [66, 8, 12], [1000, 200, 200]);
    if (opts === null) return;
    const art = renderBraille(schotter(opts[0], opts[1], opts[2]));
    verbatimUtf8(ctx, `${art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`);
  } else if ((a === '6' && b === '.' && c !== '9') || (a === '5' && b === '.' && c === '9')) {
    const opts = longArgs(ctx, args, [80, 20], [1000, 1000]);
    if (opts === null) return;
    const canvas = new Canvas(opts[0], opts[1], 3);
    skyline(canvas);
    verbatimUtf8(
      ctx,
      `${renderGrays(canvas)}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
    );
  } else {
    ctx.reply.verbatim(`Redis ver. ${REDIS_VERSION}\n`, 'txt');
  }
}

export const lolwutCommands: CommandFamily = { lolwut };
