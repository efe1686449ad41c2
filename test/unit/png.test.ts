import { pngOf } from '../../bot/core/png';
import { lossChart } from '../../training/jobs/report';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const sizeOf = (png: Uint8Array) => {
  const view = Buffer.from(png);
  return { width: view.readUInt32BE(16), height: view.readUInt32BE(20) };
};
const svg = (body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" font-family="sans-serif">` +
  `<rect width="120" height="40" fill="#fff"/>${body}</svg>`;

describe('pngOf', () => {
  test('a PNG at twice the drawing size by default, or at the scale asked', () => {
    const png = pngOf(svg(''));
    expect(Buffer.from(png).subarray(0, 8)).toEqual(SIGNATURE);
    expect(sizeOf(png)).toEqual({ width: 240, height: 80 });
    expect(sizeOf(pngOf(svg(''), 1))).toEqual({ width: 120, height: 40 });
  });

  test('text is drawn with the shipped fonts, not left out', () => {
    const blank = pngOf(svg(''));
    const labelled = pngOf(svg('<text x="10" y="25" font-size="14">loss</text>'));
    const bold = pngOf(svg('<text x="10" y="25" font-size="14" font-weight="bold">loss</text>'));
    expect(Buffer.compare(Buffer.from(blank), Buffer.from(labelled))).not.toBe(0);
    expect(Buffer.compare(Buffer.from(labelled), Buffer.from(bold))).not.toBe(0);
  });

  test("renders the retrain's loss chart", () => {
    const steps = Array.from({ length: 20 }, (_, i) => ({
      step: i + 1,
      epoch: 1,
      loss: 3 / (i + 1),
      learningRate: 1e-3,
      gradientNorm: 1,
      tokens: 100,
    }));
    const epochs = [{ epoch: 1, step: 20, trainLoss: 0.5, validationLoss: 0.4 }];
    const chart = lossChart({ steps, epochs }, 3.2);
    const { width, height } = sizeOf(pngOf(chart));
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(chart)!.map(Number);
    expect({ width, height }).toEqual({ width: 2 * w, height: 2 * h });
  });
});
