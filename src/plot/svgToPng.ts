import * as path from 'node:path';
import type * as ResvgJs from '@resvg/resvg-js';

/** A PNG image and the size, in CSS pixels, it should be shown at. */
export interface PngImage {
  /** The PNG file's bytes. */
  png: Uint8Array;
  /** Width of the SVG it was drawn from, in CSS pixels (the PNG has `scale` times as many). */
  width: number;
  /** Height of the SVG it was drawn from, in CSS pixels. */
  height: number;
}

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Image pixels per CSS pixel (default 2: sharp on high-density screens, shown at the SVG's size). */
  scale?: number;
}

/** The one font family text is drawn with, whatever family the SVG names. */
const FONT_FAMILY = 'DejaVu Sans';

/**
 * DejaVu Sans, regular and bold, from the `dejavu-fonts-ttf` package: the PNG never depends on the
 * fonts a machine happens to have, so the same SVG gives the same bytes everywhere.
 */
function fontFiles(): string[] {
  const folder = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => path.join(folder, file));
}

/**
 * Draws an SVG (e.g. from {@link figureToSvg}) as a PNG with resvg, offline and without a browser.
 * Text uses the bundled DejaVu Sans, never a system font; the same SVG gives the same bytes.
 */
export function svgToPng(svg: string, { scale = 2 }: SvgToPngOptions = {}): PngImage {
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 8)) {
    throw new RangeError(`svgToPng: scale must be a number in (0, 8], got ${scale}.`);
  }
  const { Resvg } = require('@resvg/resvg-js') as typeof ResvgJs;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: false,
      fontFiles: fontFiles(),
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
      serifFamily: FONT_FAMILY,
      monospaceFamily: FONT_FAMILY,
    },
  });
  return { png: resvg.render().asPng(), width: resvg.width, height: resvg.height };
}
