// The page for a sequence-to-sequence model: a source box, the decoded target, and for a model with attention the
// alignment heatmap (which source tokens each target token looked at), drawn as SVG (the page's plotly.js bundle has
// bars only). Decoding is `gennet generate --source`'s.
import { translate, type Translation } from '../../sample';
import type { WebModel } from '../webModel';
import { tokenLabel } from './distributionChart';
import { afterPaint, byTestId, messageOf, showStatus } from './pageStatus';

/** The panel's elements. */
export interface TranslationElements {
  source: HTMLTextAreaElement;
  output: HTMLPreElement;
  alignment: HTMLElement;
  caption: HTMLElement;
}

/** Decodes sources with the page's sequence-to-sequence model and shows the result. */
export class TranslationPanel {
  constructor(
    private readonly model: WebModel & { source: NonNullable<WebModel['source']> },
    private readonly engine: string,
    private readonly elements: TranslationElements,
  ) {}

  /** Decodes the source box with a beam of `beam` (1: greedy) and shows the target and its alignment. */
  translate(beam: number): Translation {
    const text = this.elements.source.value.trim();
    if (text === '') throw new Error('Type a source to decode first.');
    const [result] = translate(this.model.generator, this.model.source, [text], { beam, engine: this.engine });
    this.elements.output.textContent = result.text;
    this.showAlignment(text, result);
    return result;
  }

  /** The heatmap of a model with attention: output tokens (rows) against source tokens (columns). */
  private showAlignment(text: string, result: Translation): void {
    const { alignment, caption } = this.elements;
    const weights = result.attention ?? [];
    alignment.hidden = weights.length === 0;
    if (weights.length === 0) {
      alignment.replaceChildren();
      caption.textContent =
        result.attention === undefined
          ? 'This model reads its source only through the state the encoder leaves: it has no alignment to show.'
          : '';
      return;
    }
    const { vocab } = this.model.source;
    const columns = Array.from(vocab.encode(text), (id) => tokenLabel(vocab.tokenOf(id)));
    const rows = result.tokens.map((id) => tokenLabel(this.model.generator.vocab.tokenOf(id)));
    alignment.replaceChildren(alignmentSvg(rows, columns, weights));
    caption.textContent =
      'Each row: how much attention the output token paid to each source token when the model chose it (rows sum to 1).';
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (attributes, not inline styles: the page's Content-Security-Policy allows them). */
function svgElement(name: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * The alignment as a grid: a cell per output token (row) and source token (column), as dark as its weight, the weight
 * in its title (shown on hover).
 */
function alignmentSvg(rows: string[], columns: string[], weights: number[][]): SVGElement {
  const cell = 28;
  const [left, top] = [16 + 9 * Math.max(...rows.map((label) => label.length)), 24];
  const svg = svgElement('svg', {
    width: left + cell * columns.length + 4,
    height: top + cell * rows.length + 4,
    role: 'img',
    'aria-label': 'attention of each output token over the source tokens',
  });
  columns.forEach((label, j) =>
    svg.append(svgElement('text', { x: left + cell * (j + 0.5), y: top - 8, 'text-anchor': 'middle' }, label)),
  );
  rows.forEach((label, i) => {
    svg.append(svgElement('text', { x: left - 6, y: top + cell * (i + 0.65), 'text-anchor': 'end' }, label));
    weights[i].forEach((weight, j) => {
      const square = svgElement('rect', {
        x: left + cell * j,
        y: top + cell * i,
        width: cell - 1,
        height: cell - 1,
        fill: '#2f5fb3',
        'fill-opacity': weight.toFixed(3),
        stroke: '#e3e6ec',
        'data-weight': weight,
      });
      square.append(svgElement('title', {}, `${label} ← ${columns[j]}: ${weight.toFixed(2)}`));
      svg.append(square);
    });
  });
  return svg;
}

/** The page of a sequence-to-sequence model: its decoder generates from a source only, so the source box replaces the prompt. */
export function startTranslation(model: ConstructorParameters<typeof TranslationPanel>[0], engine: string): void {
  document.querySelectorAll<HTMLElement>('.language-model').forEach((section) => (section.hidden = true));
  byTestId('translation').hidden = false;
  const panel = new TranslationPanel(model, engine, {
    source: byTestId('source'),
    output: byTestId('translation-output'),
    alignment: byTestId('alignment'),
    caption: byTestId('alignment-caption'),
  });
  const button = byTestId<HTMLButtonElement>('translate');
  const beamWidth = byTestId<HTMLInputElement>('translate-beam');
  const output = byTestId('translation-output');
  button.addEventListener('click', () => {
    button.disabled = true;
    output.dataset.state = 'running';
    showStatus('Decoding…');
    void afterPaint()
      .then(() => panel.translate(Number(beamWidth.value)))
      .then(
        () => {
          output.dataset.state = 'done';
          showStatus('Ready.');
        },
        (error: unknown) => {
          output.dataset.state = 'failed';
          showStatus(messageOf(error), true);
        },
      )
      .finally(() => (button.disabled = false));
  });
  button.disabled = false;
  showStatus('Ready.');
  document.body.dataset.ready = 'true';
}
