import { randomBytes } from 'node:crypto';
import type { Figure } from './figure';
import { figureToSvg } from './figureToSvg';
import { svgToPng } from './svgToPng';
import type { FigureSize } from './vegaLiteSpec';

/** A figure output in a notebook cell that can be redrawn in place. */
export interface LiveFigure {
  /** Renders the figure and replaces the previous drawing; await it before the next update. */
  update(figure: Figure): Promise<void>;
}

/**
 * Shows the figure in the current tslab notebook cell as one output holding an SVG and a PNG of it
 * (drawn at twice the size, shown at the SVG's). Both are saved with the notebook: frontends that
 * show SVG use it, and where SVG is not shown — Jupyter hides it in a notebook that is not trusted,
 * as every freshly cloned one is — the PNG is. Await it; it throws outside a tslab (Jupyter) kernel.
 */
export async function displayFigure(figure: Figure, size: FigureSize = {}): Promise<void> {
  writeFigureOutput(await figureToSvg(figure, size), { displayId: null, update: false });
}

/**
 * Creates one figure output for the current tslab notebook cell; each `update` redraws it in place
 * (e.g. a loss curve during training), SVG and PNG as in {@link displayFigure}. The output appears
 * at the first `update`.
 */
export function createLiveFigure(size: FigureSize = {}): LiveFigure {
  const displayId = randomBytes(8).toString('hex');
  let shown = false;
  return {
    async update(figure) {
      writeFigureOutput(await figureToSvg(figure, size), { displayId, update: shown });
      shown = true;
    },
  };
}

/** A Jupyter `display_data` message's content: one output in several formats. */
interface DisplayData {
  data: Record<string, string>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

type DisplayWriter = (content: DisplayData, update: boolean) => void;

/**
 * tslab's sender of display messages for the running cell. Its public `display` sends one format
 * per output, so the SVG + PNG bundle goes through the function behind it (tslab 1.0.22,
 * `dist/jupyter.js`, the same one `display.raw` calls); null when no cell runs in a tslab kernel.
 */
function tslabDisplayWriter(): DisplayWriter | null {
  try {
    return (require('tslab/dist/jupyter') as { lastWriteDisplayData?: DisplayWriter }).lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

function writeFigureOutput(svg: string, { displayId, update }: { displayId: string | null; update: boolean }): void {
  const write = tslabDisplayWriter();
  if (write === null) {
    throw new Error(
      'Figures can only be displayed inside a tslab Jupyter notebook; outside one, use figureToSvg() to get ' +
        'the SVG (svgToPng() for a PNG) or showFigure() to open it in a browser.',
    );
  }
  const { png, width, height } = svgToPng(svg);
  write(
    {
      data: {
        'image/svg+xml': svg,
        'image/png': Buffer.from(png).toString('base64'),
        'text/plain': `<figure ${width}×${height}>`,
      },
      metadata: { 'image/png': { width, height } },
      transient: displayId === null ? {} : { display_id: displayId },
    },
    update,
  );
}
