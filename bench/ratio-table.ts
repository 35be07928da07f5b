/** The tsredis / redis table the persistence and scale suites print: label, both figures, ratio. */

/** [label, tsredis figure, redis figure, decimals]. */
export type RatioRow = [string, number, number, number];

export function formatFigure(n: number, decimals = 0): string {
  return Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: decimals });
}

export function printRatioRows(rows: RatioRow[]): void {
  const ratio = (a: number, b: number) => (b > 0 && !Number.isNaN(a) ? `${(a / b).toFixed(2)}x` : '-');
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'measure'.padEnd(w)}  ${'tsredis'.padStart(12)}  ${'redis'.padStart(12)}  ratio`);
  for (const [label, a, b, d] of rows) {
    console.log(
      `${label.padEnd(w)}  ${formatFigure(a, d).padStart(12)}  ${formatFigure(b, d).padStart(12)}  ${ratio(a, b)}`,
    );
  }
}
