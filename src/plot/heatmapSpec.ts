import type { Layout } from 'nodeplotlib';
import type { Figure } from './figure';
import { type FigureSize, type LayeredSpec, specFrame, titleText } from './vegaLiteSpec';

/** Whether `figure` draws a heatmap (it then holds that one trace: see {@link heatmapToVegaLite}). */
export function isHeatmap(figure: Figure): boolean {
  return figure.data.some((trace) => trace.type === 'heatmap');
}

/** An axis's labels: its `ticktext` if the layout gives one (labels may repeat there), else the trace's values. */
function axisLabels(axis: Layout['xaxis'], values: unknown, count: number, name: string): string[] {
  const given = (axis?.ticktext ?? values) as ArrayLike<unknown> | null | undefined;
  const labels = given == null ? Array.from({ length: count }, (_, i) => String(i)) : Array.from(given, String);
  if (labels.length !== count)
    throw new Error(`The heatmap has ${count} ${name}s but ${labels.length} ${name} labels; give one label to each.`);
  return labels;
}

/**
 * Translates a figure of one Plotly `heatmap` trace — `z` rows of numbers (a non-number leaves its cell empty), the
 * columns' and rows' labels from `layout.xaxis.ticktext`/`yaxis.ticktext` or the trace's `x`/`y` — into Vega-Lite
 * rectangles coloured from white (`zmin`, default 0) to dark blue (`zmax`, default the largest value), the first row at
 * the top; layout `title`, axis titles, size.
 */
export function heatmapToVegaLite(figure: Figure, size: FigureSize = {}): LayeredSpec {
  const { data, layout } = figure;
  if (data.length !== 1)
    throw new Error(`A heatmap figure holds its heatmap trace alone; this one has ${data.length} traces.`);
  const z = data[0].z as unknown;
  if (!Array.isArray(z) || z.length === 0 || !z.every((row) => Array.isArray(row)))
    throw new Error('The heatmap trace needs z: one array of numbers per row.');
  const rows = z as unknown[][];
  const columnLabels = axisLabels(layout.xaxis, data[0].x, rows[0].length, 'column');
  const rowLabels = axisLabels(layout.yaxis, data[0].y, rows.length, 'row');
  const values = rows.flatMap((row, r) => {
    if (row.length !== columnLabels.length)
      throw new Error(`Row ${r} of the heatmap has ${row.length} values, row 0 has ${columnLabels.length}.`);
    return row.flatMap((value, c) => (typeof value === 'number' && Number.isFinite(value) ? [{ r, c, value }] : []));
  });
  // Columns' labels stand upright while they are a character or two wide, else they are turned to fit their columns.
  const axis = (labels: string[], title: Parameters<typeof titleText>[0], turn: boolean) => ({
    title: titleText(title) ?? null,
    labelExpr: `${JSON.stringify(labels)}[datum.value]`,
    labelAngle: turn && labels.some((label) => label.length > 2) ? -90 : 0,
    labelOverlap: false,
  });
  return {
    ...specFrame(layout, size),
    layer: [
      {
        data: { values },
        mark: 'rect',
        encoding: {
          x: {
            field: 'c',
            type: 'ordinal',
            scale: { domain: columnLabels.map((_, i) => i) },
            axis: axis(columnLabels, layout.xaxis?.title, true),
          },
          y: {
            field: 'r',
            type: 'ordinal',
            scale: { domain: rowLabels.map((_, i) => i) },
            axis: axis(rowLabels, layout.yaxis?.title, false),
          },
          color: {
            field: 'value',
            type: 'quantitative',
            scale: {
              range: ['#ffffff', '#08306b'],
              domain: [data[0].zmin ?? 0, data[0].zmax ?? values.reduce((top, v) => Math.max(top, v.value), 0)],
            },
            legend: { title: data[0].name ?? null },
          },
        },
      },
    ],
  };
}
