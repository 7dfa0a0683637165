// The page: loads the exported model with TensorFlow.js in the browser, generates as the user asks, and shows the
// next-token distribution as the prompt and the settings change. Every generation goes through the same library code
// as `gennet generate`, so a seed gives the same text on the same backend.
import { describeBackend } from '../../backendDescription';
import { engineOf } from '../../families';
import {
  beamSearch,
  checkPrompts,
  compareTemperatures,
  type Generation,
  type GenerationRequest,
  LESSON_TEMPERATURES,
  nextTokenDistributions,
  DEFAULT_REPETITION_WINDOW,
  streamGenerations,
  yieldToEventLoop,
} from '../../sample';
import { loadWebModel, type ModelFacts, SITE_MODEL_FOLDER, type WebModel } from '../webModel';
import { BROWSER_BACKENDS, initBrowserBackend } from './browserBackend';
import { ConditionMenus } from './conditionMenus';
import { drawDistribution } from './distributionChart';
import { afterPaint, byTestId, messageOf, showStatus, status } from './pageStatus';
import { startTranslation } from './translationPanel';

const inputs = {
  prompt: byTestId<HTMLTextAreaElement>('prompt'),
  temperature: byTestId<HTMLInputElement>('temperature'),
  topK: byTestId<HTMLInputElement>('top-k'),
  topP: byTestId<HTMLInputElement>('top-p'),
  repetitionPenalty: byTestId<HTMLInputElement>('repetition-penalty'),
  length: byTestId<HTMLInputElement>('length'),
  seed: byTestId<HTMLInputElement>('seed'),
};
/** The beam width: read by beam search only (it does not change the chart). */
const beamInput = byTestId<HTMLInputElement>('beam');
const generateButton = byTestId<HTMLButtonElement>('generate');
const compareButton = byTestId<HTMLButtonElement>('compare');
const beamButton = byTestId<HTMLButtonElement>('beam-search');
const output = byTestId<HTMLPreElement>('output');

/** A conditional model's condition menus (set once the model is loaded); null for other models. */
let conditionMenus: ConditionMenus | null = null;

/** The sampling settings as the controls show them: one generation request and its length. */
function readSettings(): {
  request: GenerationRequest & { prompt: string; seed: number; temperature: number };
  length: number;
} {
  const topK = Number(inputs.topK.value);
  const topP = Number(inputs.topP.value);
  const repetitionPenalty = Number(inputs.repetitionPenalty.value);
  const seed = Number(inputs.seed.value);
  if (inputs.seed.value.trim() === '' || !Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`The seed must be a whole number ≥ 0, got "${inputs.seed.value}".`);
  return {
    request: {
      prompt: inputs.prompt.value,
      temperature: Number(inputs.temperature.value),
      seed,
      ...(topK > 0 ? { topK } : {}),
      ...(topP < 1 ? { topP } : {}),
      ...(repetitionPenalty !== 1 ? { repetitionPenalty } : {}),
      ...(conditionMenus === null ? {} : { initialState: conditionMenus.state() }),
    },
    length: Number(inputs.length.value),
  };
}

/** Writes each slider's value beside it. */
function showSliderValues(): void {
  const off = { 'top-k': '0', 'repetition-penalty': '1' } as Record<string, string>;
  for (const input of [inputs.temperature, inputs.topK, inputs.topP, inputs.repetitionPenalty, inputs.length]) {
    const shown = document.querySelector(`output[data-for="${input.dataset.testid}"]`);
    if (shown !== null) shown.textContent = off[input.dataset.testid!] === input.value ? 'off' : input.value;
  }
}

/** The model's facts as label → value lines. */
function factLines(facts: ModelFacts): Array<[string, string]> {
  const lines: Array<[string, string | null]> = [
    ['Model', facts.shape],
    ...(facts.conditions === null ? [] : [['Conditions', facts.conditions.join(', ')] as [string, string]]),
    ...(facts.source == null ? [] : [['Source', facts.source] as [string, string]]),
    [
      'Tokens',
      `${facts.unit === 'char' ? 'characters' : 'words'}, ${facts.vocabSize.toLocaleString('en')} in the vocabulary`,
    ],
    [facts.counted ? 'Counts' : 'Parameters', facts.params?.toLocaleString('en') ?? null],
    ['Training corpus', facts.corpus],
    ['Training steps', facts.steps?.toLocaleString('en') ?? null],
    ['Validation', facts.valBitsPerChar === null ? null : `${facts.valBitsPerChar.toFixed(3)} bits/char`],
    ['Saved', facts.savedAt],
  ];
  return lines.map(([label, value]) => [label, value ?? 'not recorded']);
}

function showFacts(facts: ModelFacts): void {
  const list = byTestId<HTMLDListElement>('facts');
  list.replaceChildren(
    ...factLines(facts).flatMap(([label, value]) => {
      const [dt, dd] = [document.createElement('dt'), document.createElement('dd')];
      dt.textContent = label;
      dd.textContent = value;
      dd.dataset.fact = label;
      return [dt, dd];
    }),
  );
}

/** Shows `prompt` (greyed) in the output followed by `generated`; returns the text node that holds `generated`. */
function showText(prompt: string, generated = ''): Text {
  const promptText = document.createElement('span');
  promptText.className = 'prompt-text';
  promptText.textContent = prompt;
  const rest = document.createTextNode(generated);
  output.replaceChildren(promptText, rest);
  return rest;
}

/** Disables the buttons of the tasks that run to the end (comparison, beam search) and generation while one runs. */
function setBusy(busy: boolean): void {
  compareButton.disabled = beamButton.disabled = generateButton.disabled = busy;
}

/** The page once its model is loaded. */
class GenerationPage {
  private running: { stop: boolean } | null = null;
  private chartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly model: WebModel,
    private readonly engine: string,
  ) {}

  /** Redraws the chart soon (typing and sliding call this many times; it draws once things settle). */
  scheduleChart(): void {
    if (this.chartTimer !== null) clearTimeout(this.chartTimer);
    this.chartTimer = setTimeout(() => void this.drawChart().catch((error) => showStatus(messageOf(error), true)), 60);
  }

  private async drawChart(): Promise<void> {
    const shown = JSON.stringify([
      inputs.prompt.value,
      inputs.temperature.value,
      inputs.topK.value,
      inputs.topP.value,
      inputs.repetitionPenalty.value,
      ...(conditionMenus?.values() ?? []),
    ]);
    const { request } = readSettings();
    const { generator } = this.model;
    const warnings: string[] = [];
    checkPrompts(generator.vocab, [request.prompt], false, (line) => warnings.push(line));
    const warning = byTestId('prompt-warning');
    warning.hidden = warnings.length === 0;
    warning.textContent = warnings.join(' ');
    const { temperature, prompt, seed: _, ...sampling } = request;
    const [model, chosen] = nextTokenDistributions(generator, prompt, [1, temperature], this.engine, sampling);
    const chart = byTestId('chart');
    byTestId('chart-caption').textContent = await drawDistribution(chart, generator.vocab, model, chosen);
    // What the chart now shows, for tests and scripts: the prompt and the settings it was drawn for.
    chart.dataset.settings = shown;
    if (status.classList.contains('error')) showStatus('Ready.');
  }

  /** Generates with the current settings, streaming tokens into the output; a second click stops it. */
  async generate(): Promise<void> {
    if (this.running !== null) {
      this.running.stop = true;
      return;
    }
    const run = { stop: false };
    this.running = run;
    setBusy(true);
    generateButton.textContent = 'Stop';
    generateButton.disabled = false;
    output.dataset.state = 'running';
    byTestId('generation-stats').textContent = '';
    try {
      const { request, length } = readSettings();
      showStatus('Generating…');
      const generated = showText(request.prompt);
      const started = performance.now();
      const stream = streamGenerations(this.model.generator, [request], { length, engine: this.engine });
      let deadline = performance.now() + 25;
      let step = stream.next();
      for (; !step.done; step = stream.next()) {
        generated.appendData(step.value.text);
        if (performance.now() < deadline) continue;
        await yieldToEventLoop();
        deadline = performance.now() + 25;
        if (run.stop) {
          stream.return([]);
          break;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      if (step.done) this.showGeneration(step.value[0], seconds);
      else byTestId('generation-stats').textContent = 'Stopped.';
      output.dataset.state = step.done ? 'done' : 'stopped';
      showStatus('Ready.');
    } catch (error) {
      output.dataset.state = 'failed';
      showStatus(messageOf(error), true);
    } finally {
      this.running = null;
      generateButton.textContent = 'Generate';
      setBusy(false);
    }
  }

  private showGeneration(generation: Generation, seconds: number): void {
    const tokens = generation.tokens.length;
    const parts = [
      `${tokens} tokens in ${seconds.toFixed(2)} s (${(tokens / Math.max(seconds, 1e-6)).toFixed(0)} tokens/s)`,
    ];
    if (generation.logLikelihood !== null)
      parts.push(`mean log-probability ${generation.logLikelihood.toFixed(3)} nats/token`);
    if (generation.endedAtEos) parts.push('the model ended the text');
    byTestId('generation-stats').textContent = `${parts.join(' · ')}.`;
  }

  /** The lesson's comparison: the prompt continued at its five temperatures with one seed. */
  compare(): Promise<void> {
    const table = byTestId<HTMLTableElement>('comparison');
    return runToEnd(table, 'Comparing temperatures…', () => {
      const { request, length } = readSettings();
      const { prompt, seed, temperature: _, ...sampling } = request;
      const rows = compareTemperatures(this.model.generator, {
        ...sampling,
        prompts: [prompt],
        temperatures: LESSON_TEMPERATURES,
        length,
        seed,
        engine: this.engine,
      });
      const header = document.createElement('tr');
      header.innerHTML = '<th>T</th><th>text</th><th>distinct word pairs</th><th>mean log-prob (nats)</th>';
      table.replaceChildren(
        header,
        ...rows.map((row) => {
          const tr = document.createElement('tr');
          const cells = [
            String(row.temperature),
            row.text,
            row.metrics.distinct2?.toFixed(2) ?? '–',
            row.metrics.logLikelihood?.toFixed(2) ?? '–',
          ];
          cells.forEach((text, i) => {
            const td = document.createElement('td');
            td.textContent = text;
            if (i === 1) td.className = 'text';
            tr.append(td);
          });
          return tr;
        }),
      );
    });
  }

  /**
   * Beam search: the most probable continuation the beam finds (no randomness: temperature, top-k/p and seed do
   * not apply).
   */
  beam(): Promise<void> {
    byTestId('generation-stats').textContent = '';
    return runToEnd(output, 'Searching…', () => {
      const [prompt, length, beam] = [inputs.prompt.value, Number(inputs.length.value), Number(beamInput.value)];
      const [min, max] = [Number(beamInput.min), Number(beamInput.max)];
      if (!Number.isInteger(beam) || beam < min || beam > max)
        throw new Error(`The beam width must be a whole number from ${min} to ${max}, got "${beamInput.value}".`);
      const started = performance.now();
      const [best] = beamSearch(this.model.generator, {
        prompt,
        beam,
        length,
        engine: this.engine,
        initialState: conditionMenus?.state(),
      });
      showText(prompt, best.text.slice(prompt.length));
      this.showGeneration(best, (performance.now() - started) / 1000);
      byTestId('generation-stats').textContent +=
        ` Beam of ${beam}: total log-probability ${best.totalLogProb.toFixed(2)} nats.`;
    });
  }
}

/**
 * Runs a task that goes to the end in one piece (the comparison, beam search) with the buttons disabled, marking
 * `target` (`data-state`: running, then done or failed) and the status line.
 */
async function runToEnd(target: HTMLElement, doing: string, work: () => void): Promise<void> {
  setBusy(true);
  target.dataset.state = 'running';
  showStatus(doing);
  await afterPaint();
  try {
    work();
    target.dataset.state = 'done';
    showStatus('Ready.');
  } catch (error) {
    target.dataset.state = 'failed';
    showStatus(messageOf(error), true);
  } finally {
    setBusy(false);
  }
}

/** The backend menu shows the address's choice; choosing another reloads the page with it. */
function offerBackends(choice: string): void {
  const menu = byTestId<HTMLSelectElement>('backend-choice');
  menu.append(...BROWSER_BACKENDS.map((name) => new Option(name, name)));
  menu.value = choice;
  menu.addEventListener('change', () => {
    const params = new URLSearchParams(location.search);
    params.set('backend', menu.value);
    location.search = params.toString();
  });
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const choice = params.get('backend') ?? 'auto';
  offerBackends(choice);
  await initBrowserBackend(choice);
  byTestId('backend').textContent = describeBackend();
  const model = await loadWebModel(`${SITE_MODEL_FOLDER}/`);
  const { generator } = model;
  const engine = engineOf(generator, 'auto');
  byTestId('engine').textContent = engine ?? `${model.manifest.facts.kind} (runs on its own, no backend)`;
  showFacts(model.manifest.facts);
  if (model.source !== null) return startTranslation({ ...model, source: model.source }, engine ?? 'auto');
  inputs.topK.max = String(generator.vocab.size);
  if (model.conditions !== null) conditionMenus = new ConditionMenus(model.conditions, byTestId('conditions'));
  byTestId('repetition-window').textContent = String(DEFAULT_REPETITION_WINDOW);
  const page = new GenerationPage(model, engine ?? 'auto');
  for (const input of [...Object.values(inputs), ...(conditionMenus?.menus ?? [])]) {
    input.addEventListener('input', () => {
      showSliderValues();
      page.scheduleChart();
    });
  }
  generateButton.addEventListener('click', () => void page.generate());
  compareButton.addEventListener('click', () => void page.compare());
  beamButton.addEventListener('click', () => void page.beam());
  showSliderValues();
  page.scheduleChart();
  setBusy(false);
  showStatus('Ready.');
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  showStatus(messageOf(error), true);
  document.body.dataset.ready = 'failed';
});
