import type * as Nodeplotlib from 'nodeplotlib';
import type { Figure } from './figure';

/**
 * Opens the figure as an interactive Plotly page via nodeplotlib's `plot(data, layout)`.
 *
 * How nodeplotlib behaves (1.1.2): the first call starts a local web server (NestJS + socket.io) on
 * port `NODEPLOTLIB_PORT`, or a free port if unset, logs `[Nodeplotlib] Server running at <url>` and
 * opens that URL in the default browser (`xdg-open`/`open`/`start`; not when `NODEPLOTLIB_PORT` is
 * set, then open the URL yourself). Later calls add their figure to the same page. The page loads
 * plotly.js from cdn.plot.ly, so the browser needs internet access. The server keeps the Node
 * process alive until the last browser tab showing it is closed; then it shuts down and the process
 * can exit. If no browser ever connects, stop the process with Ctrl+C. In notebooks use
 * {@link displayFigure} instead; nodeplotlib is loaded on first call, not at import.
 */
export function showFigure(figure: Figure): void {
  const { plot }: typeof Nodeplotlib = require('nodeplotlib');
  plot(figure.data, figure.layout);
}
