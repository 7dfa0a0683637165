import type * as Tslab from 'tslab';
import type { Figure } from './figure';
import { figureToSvg } from './figureToSvg';
import type { FigureSize } from './vegaLiteSpec';

/** A figure output in a notebook cell that can be redrawn in place. */
export interface LiveFigure {
  /** Renders the figure and replaces the previous drawing; await it before the next update. */
  update(figure: Figure): Promise<void>;
}

/**
 * Shows the figure as SVG in the current tslab notebook cell; the SVG is saved with the notebook,
 * so it stays visible on GitHub and nbviewer. Await it; it throws outside a tslab (Jupyter) kernel.
 */
export async function displayFigure(figure: Figure, size: FigureSize = {}): Promise<void> {
  showSvg(tslab().display, await figureToSvg(figure, size));
}

/**
 * Creates one figure output for the current tslab notebook cell; each `update` redraws it in place
 * (e.g. a loss curve during training). The output appears at the first `update`.
 */
export function createLiveFigure(size: FigureSize = {}): LiveFigure {
  const display = tslab().newDisplay();
  return {
    async update(figure) {
      showSvg(display, await figureToSvg(figure, size));
    },
  };
}

/** tslab's public module, loaded on demand so the library also runs where no kernel is. */
function tslab(): typeof Tslab {
  return require('tslab');
}

function showSvg(display: Tslab.Display, svg: string): void {
  try {
    display.svg(svg);
  } catch (cause) {
    throw new Error('Figures can only be displayed inside a tslab Jupyter notebook; outside one, use figureToSvg() to get the SVG or showFigure() to open it in a browser.', { cause });
  }
}
