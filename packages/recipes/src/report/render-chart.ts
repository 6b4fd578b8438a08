import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { DataFileError } from '../errors.js';

/** The font every chart is drawn with: shipped by the `dejavu-fonts-ttf` npm package, so no system font is needed. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/** The PNG is drawn at twice the SVG's size, so text stays sharp on high-density screens. */
const PNG_ZOOM = 2;

/**
 * Renders a Vega-Lite spec to SVG (Vega's own SVG renderer, no browser) and PNG (resvg, prebuilt for each platform, no
 * install script). Text uses DejaVu Sans from the `dejavu-fonts-ttf` package and never the machine's fonts, so the
 * PNG is the same on a fresh machine that has none. The spec's `config.font` defaults to that font.
 */
export async function renderVegaLite(spec: TopLevelSpec): Promise<{ svg: string; png: Uint8Array }> {
  // loaded on first use: the commands that draw nothing do not pay for Vega
  const [vega, vegaLite, { Resvg }] = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
  const withFont = { ...spec, config: { font: CHART_FONT_FAMILY, ...spec.config } } as TopLevelSpec;
  const view = new vega.View(vega.parse(vegaLite.compile(withFont).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const fontFile = chartFontFile();
    const resvg = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: PNG_ZOOM },
      font: { loadSystemFonts: false, fontFiles: [fontFile], defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY },
    });
    const png = resvg.render().asPng();
    return { svg, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
  } finally {
    view.finalize();
  }
}

/** DejaVuSans.ttf inside the installed `dejavu-fonts-ttf` package. */
export function chartFontFile(): string {
  // this module is built as ESM and CJS: import.meta.url is empty in the CJS build, where __filename exists
  const here = typeof __filename === 'string' ? __filename : import.meta.url;
  const pkg = createRequire(here).resolve('dejavu-fonts-ttf/package.json');
  const file = join(dirname(pkg), 'ttf', 'DejaVuSans.ttf');
  if (!existsSync(file)) throw new DataFileError(file, 'the chart font is missing (reinstall the dejavu-fonts-ttf package)');
  return file;
}
