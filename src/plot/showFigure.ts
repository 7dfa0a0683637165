import type { Figure } from './figure';
import { createLivePage, type LivePage } from './livePage';

/**
 * Opens the figure as an interactive Plotly page on nodeplotlib's local web server (see {@link createLivePage}: the
 * browser opens by itself unless `NODEPLOTLIB_PORT` is set, plotly.js comes from the installed package, so it works
 * offline; later figures share the page). The server keeps the Node process alive until the last tab showing it is
 * closed or the returned page is closed. In notebooks use {@link displayFigure} instead; nodeplotlib is loaded on the
 * first call, not at import.
 */
export function showFigure(figure: Figure): LivePage {
  const page = createLivePage({ layout: figure.layout });
  void page.update(figure);
  return page;
}
