/**
 * SVG charts as PNG pictures, for chats that show images but not SVG (Discord, Slack). resvg renders them with the
 * DejaVu fonts shipped as an npm package, never the machine's, so a picture looks the same wherever the bot runs.
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';

const require = createRequire(import.meta.url);
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  require.resolve(`dejavu-fonts-ttf/ttf/${file}`),
);

/** A picture a reply carries. */
export interface ChatImage {
  /** The file name it is posted under ("loss.png"). */
  name: string;
  png: Uint8Array;
  /** What it shows, for people who cannot see it (Discord's description, Slack's alt text). */
  alt: string;
}

/** Renders `svg` at `scale` times its size (2: sharp on high-density screens). */
export function pngOf(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: FONT_FILES,
      loadSystemFonts: false,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return resvg.render().asPng();
}
