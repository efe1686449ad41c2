/** What the project's charts are drawn with (the retrain's loss, the forecast): SVG text, made into PNG by png.ts. */

/** Round tick values covering [low, high]: 1, 2 or 5 times a power of ten apart. */
export function ticks(low: number, high: number, count: number): number[] {
  const raw = (high - low) / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** `text` safe inside an SVG element or attribute. */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** A `<text>` element at (x, y); `attributes` are written as given (sizes, weight, transform). */
export function svgText(
  x: number,
  y: number,
  content: string,
  {
    anchor = 'middle',
    fill = '#333333',
    attributes = '',
  }: { anchor?: string; fill?: string; attributes?: string } = {},
): string {
  return (
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" fill="${fill}"` +
    `${attributes ? ` ${attributes}` : ''}>${escapeXml(content)}</text>`
  );
}
