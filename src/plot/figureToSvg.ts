import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { Figure } from './figure';
import { heatmapToVegaLite, isHeatmap } from './heatmapSpec';
import { figureToVegaLite, type FigureSize } from './vegaLiteSpec';

/** A Vega loader that refuses every load, so rendering never touches the network or the disk. */
const offlineLoader: Vega.Loader = {
  load: refuse,
  sanitize: refuse,
  http: refuse,
  file: refuse,
};

function refuse(uri: string): Promise<never> {
  return Promise.reject(
    new Error(`figureToSvg renders offline and will not load "${uri}"; put the data inline in the figure's traces.`),
  );
}

/**
 * Renders a figure to a standalone SVG string, with no browser and no network (Plotly → Vega-Lite
 * → Vega, see {@link figureToVegaLite} and {@link heatmapToVegaLite} for the Plotly subset understood). The same figure always
 * gives the same string. vega and vega-lite are loaded on first use.
 */
export async function figureToSvg(figure: Figure, size: FigureSize = {}): Promise<string> {
  const vega = require('vega') as typeof Vega;
  const vegaLite = require('vega-lite') as typeof VegaLite;
  const logger = vega.logger(vega.Error);
  const layered = isHeatmap(figure) ? heatmapToVegaLite(figure, size) : figureToVegaLite(figure, size);
  const { spec } = vegaLite.compile(layered, { logger });
  const view = new vega.View(vega.parse(spec), { renderer: 'none', loader: offlineLoader, logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
