import type { Layout, Plot } from 'nodeplotlib';
import type { TopLevelSpec } from 'vega-lite';
import type { Figure } from './figure';

/** A top-level layered Vega-Lite spec, what {@link figureToVegaLite} returns. */
export type LayeredSpec = Extract<TopLevelSpec, { layer: unknown }>;
type Layer = LayeredSpec['layer'][number];
type UnitLayer = Extract<Layer, { mark: unknown }>;
type Encoding = NonNullable<UnitLayer['encoding']>;
type Title = Layout['title'] | NonNullable<Layout['xaxis']>['title'];

/** Plotly's default trace colours (its `colorway`), so static and interactive figures agree. */
export const TRACE_COLOURS: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Size of a rendered figure in pixels, legend and titles included (default: layout size, else 700 × 450). */
export interface FigureSize {
  width?: number;
  height?: number;
}

/** Plotly's named dash styles as SVG dash arrays (in pixels). */
const DASH_ARRAYS: Readonly<Record<string, number[]>> = {
  solid: [],
  dot: [2, 3],
  dash: [8, 4],
  longdash: [14, 5],
  dashdot: [8, 3, 2, 3],
  longdashdot: [14, 3, 2, 3],
};

const DEFAULT_MARKER_DIAMETER = 6;
const DEFAULT_LINE_WIDTH = 2;

/** One point of a trace; `y` null leaves a gap, like Plotly. */
interface Row {
  x: number | string;
  y: number | null;
}

/**
 * Translates the subset of Plotly used by this project into a Vega-Lite spec with one layer per
 * trace: `scatter` traces (`mode` lines, markers or lines+markers; `line.width`, `line.dash`,
 * `line.color`, `marker.size`, `marker.color`, `opacity`) and `bar` traces (grouped side by side);
 * layout `title`, axis titles, `xaxis.type`/`yaxis.type` 'log' (non-positive values are left out)
 * and `width`/`height`. Every trace gets a legend entry by name, coloured by trace order unless it
 * names its own colour. Throws for anything else (other trace types or modes, duplicate names).
 */
export function figureToVegaLite(figure: Figure, size: FigureSize = {}): LayeredSpec {
  const { data: traces, layout } = figure;
  const names = traces.map((trace, i) => trace.name ?? `trace ${i}`);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) {
      throw new Error(
        `Two traces are named "${name}"; give every trace its own name so each gets a legend entry and colour.`,
      );
    }
  });
  const types = traces.map((trace, i) => traceType(trace, names[i]));
  const barNames = names.filter((_, i) => types[i] === 'bar');
  const rows = traces.map((trace, i) => rowsOf(trace, names[i], layout));
  const categoricalX = barNames.length > 0 || rows.some((r) => r.some((row) => typeof row.x === 'string'));
  if (categoricalX && layout.xaxis?.type === 'log') {
    throw new Error(
      'A log x axis needs numeric x values and no bar traces; remove xaxis.type "log" or use numbers for x.',
    );
  }
  const x: Encoding['x'] = categoricalX
    ? {
        field: 'x',
        type: 'nominal',
        sort: null,
        title: titleText(layout.xaxis?.title) ?? null,
        axis: { labelAngle: 0 },
      }
    : {
        field: 'x',
        type: 'quantitative',
        title: titleText(layout.xaxis?.title) ?? null,
        scale: layout.xaxis?.type === 'log' ? { type: 'log' } : { zero: false },
      };
  const y: Encoding['y'] = {
    field: 'y',
    type: 'quantitative',
    stack: null,
    title: titleText(layout.yaxis?.title) ?? null,
    scale: layout.yaxis?.type === 'log' ? { type: 'log' } : { zero: barNames.length > 0 },
  };
  const allLines = traces.every(
    (trace, i) => types[i] === 'scatter' && scatterMode(trace, names[i], rows[i].length).lines,
  );
  const color: Encoding['color'] = {
    scale: {
      domain: names,
      range: traces.map((trace, i) => ownColour(trace) ?? TRACE_COLOURS[i % TRACE_COLOURS.length]),
    },
    legend: {
      title: null,
      orient: 'bottom',
      columns: 2,
      symbolOpacity: 1,
      symbolType: allLines ? 'stroke' : 'circle',
      labelLimit: 320,
    },
  };
  const layers: Layer[] = traces.map((trace, i) => ({
    data: { values: rows[i] },
    mark: markOf(trace, types[i], names[i], rows[i].length),
    encoding: {
      x,
      y,
      color: { ...color, datum: names[i] },
      ...(types[i] === 'bar' ? { xOffset: { datum: names[i], scale: { domain: barNames } } } : {}),
    },
  }));
  const emptyLayer: Layer = { data: { values: [] }, mark: 'point', encoding: { x, y } };
  return { ...specFrame(layout, size), layer: layers.length > 0 ? layers : [emptyLayer] };
}

/** What every figure's spec has around its layers: its size, padding, white background and title. */
export function specFrame(layout: Layout, size: FigureSize): Omit<LayeredSpec, 'layer'> {
  return {
    width: size.width ?? layout.width ?? 700,
    height: size.height ?? layout.height ?? 450,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    background: 'white',
    ...(titleText(layout.title) === undefined ? {} : { title: titleText(layout.title) }),
  };
}

/** The text of a Plotly title (a string or `{ text }`). */
export function titleText(title: Title): string | undefined {
  return typeof title === 'string' ? title : title?.text;
}

function traceType(trace: Plot, name: string): 'scatter' | 'bar' {
  const type = trace.type ?? 'scatter';
  if (type !== 'scatter' && type !== 'bar') {
    throw new Error(
      `Trace "${name}" has type "${type}", which figureToSvg cannot draw; ` +
        'use "scatter" or "bar" traces (or showFigure for the full Plotly).',
    );
  }
  return type;
}

/** Which parts a scatter trace draws; an absent mode follows Plotly (lines+markers below 20 points, lines above). */
function scatterMode(trace: Plot, name: string, points: number): { lines: boolean; markers: boolean } {
  const mode = trace.mode ?? (points < 20 ? 'lines+markers' : 'lines');
  if (mode !== 'lines' && mode !== 'markers' && mode !== 'lines+markers') {
    throw new Error(
      `Trace "${name}" has mode "${mode}", which figureToSvg cannot draw; use "lines", "markers" or "lines+markers".`,
    );
  }
  return { lines: mode !== 'markers', markers: mode !== 'lines' };
}

function markOf(trace: Plot, type: 'scatter' | 'bar', name: string, points: number): UnitLayer['mark'] {
  const opacity = trace.opacity ?? 1;
  if (type === 'bar') return { type: 'bar', opacity };
  const { lines, markers } = scatterMode(trace, name, points);
  const markerArea = markerDiameter(trace, name) ** 2;
  if (!lines) return { type: 'circle', size: markerArea, opacity };
  return {
    type: 'line',
    opacity,
    strokeWidth: trace.line?.width ?? DEFAULT_LINE_WIDTH,
    strokeDash: dashArray(trace, name),
    point: markers ? { filled: true, size: markerArea, opacity } : false,
  };
}

function markerDiameter(trace: Plot, name: string): number {
  const size = trace.marker && 'size' in trace.marker ? trace.marker.size : undefined;
  if (size !== undefined && typeof size !== 'number') {
    throw new Error(
      `Trace "${name}" gives one marker size per point, which ` +
        'figureToSvg cannot draw; give marker.size a single number.',
    );
  }
  return size ?? DEFAULT_MARKER_DIAMETER;
}

function dashArray(trace: Plot, name: string): number[] {
  const dash = trace.line?.dash ?? 'solid';
  const array = DASH_ARRAYS[dash];
  if (array === undefined) {
    throw new Error(`Trace "${name}" has line.dash "${dash}"; use one of ${Object.keys(DASH_ARRAYS).join(', ')}.`);
  }
  return array;
}

/** A single colour the trace asks for (`line.color`, else `marker.color`), if any. */
function ownColour(trace: Plot): string | undefined {
  const colour = trace.line?.color ?? trace.marker?.color;
  return typeof colour === 'string' ? colour : undefined;
}

/** The trace's points; points without x are dropped, and so are non-positive x on a log x axis. */
function rowsOf(trace: Plot, name: string, layout: Layout): Row[] {
  const xs = Array.from<unknown>(trace.x ?? []);
  const ys = Array.from<unknown>(trace.y ?? []);
  if (xs.length !== ys.length) {
    throw new Error(
      `Trace "${name}" has ${xs.length} x values but ${ys.length} y values; give every point one x and one y.`,
    );
  }
  const rows: Row[] = [];
  xs.forEach((rawX, i) => {
    const x = typeof rawX === 'string' ? rawX : numberOrNull(rawX, 'x', name, layout.xaxis?.type === 'log');
    if (x !== null) rows.push({ x, y: numberOrNull(ys[i], 'y', name, layout.yaxis?.type === 'log') });
  });
  return rows;
}

/** A finite number (positive on a log axis), or null for a gap. */
function numberOrNull(value: unknown, axis: 'x' | 'y', name: string, log: boolean): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') {
    throw new Error(
      `Trace "${name}" has a ${axis} value ${JSON.stringify(value)}; figureToSvg draws numbers (and strings ` +
        'as x categories), so convert it first.',
    );
  }
  return Number.isFinite(value) && !(log && value <= 0) ? value : null;
}
