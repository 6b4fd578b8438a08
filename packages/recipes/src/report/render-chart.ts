import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { DataFileError } from '../errors.js';

/** The font every chart is drawn with: DejaVu Sans, shipped in @peft/recipes (`fonts/`), so no system font is needed. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/** The PNG is drawn at twice the SVG's size, so text stays sharp on high-density screens. */
const PNG_ZOOM = 2;

/**
 * Renders a Vega-Lite spec to SVG (Vega's own SVG renderer, no browser) and PNG (resvg, prebuilt for each platform, no
 * install script). Text uses DejaVu Sans from the package's `fonts/` folder and never the machine's fonts, so the
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

/**
 * DejaVuSans.ttf in the package's `fonts/` folder (with its licence, fonts/LICENSE-DejaVu). The one face the charts use
 * is shipped instead of depending on the `dejavu-fonts-ttf` package, whose 22 faces are 12 MB of every install.
 */
export function chartFontFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/report/ (sources) or dist/ (built): the package folder is one or two levels up
  for (const up of [join(here, '..'), join(here, '..', '..')]) {
    const file = join(up, 'fonts', 'DejaVuSans.ttf');
    if (existsSync(file)) return file;
  }
  throw new DataFileError(join(here, '..', 'fonts', 'DejaVuSans.ttf'), 'the chart font is missing (reinstall @peft/recipes)');
}
