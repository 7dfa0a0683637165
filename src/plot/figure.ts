import type { Layout, Plot } from 'nodeplotlib';

/**
 * A figure as Plotly describes it: a list of traces and a layout (the same objects nodeplotlib's
 * `plot(data, layout)` takes). Build it once, then render it with {@link figureToSvg},
 * {@link displayFigure} or {@link showFigure}.
 */
export interface Figure {
  /** The traces, drawn in order; trace order is also colour order. */
  data: Plot[];
  /** Titles, axes and size. */
  layout: Layout;
}
