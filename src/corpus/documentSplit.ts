/** How documents are cut: whole, per non-empty line, per blank-line-separated paragraph, or per sentence. */
export type SplitMode = 'none' | 'line' | 'paragraph' | 'sentence';

/** All split modes, for validation and messages. */
export const SPLIT_MODES: readonly SplitMode[] = ['none', 'line', 'paragraph', 'sentence'];

/** Paragraphs of a text (blank-line separated), each on one line: inner line breaks become spaces. */
function paragraphs(text: string): string[] {
  return text.split(/\n[^\S\n]*\n/).map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' '));
}

const SENTENCE_SEGMENTER = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Sentences of a text via `Intl.Segmenter`; hard-wrapped lines are joined first so a line break is not a sentence end.
 */
function sentences(text: string): string[] {
  return paragraphs(text).flatMap((paragraph) => Array.from(SENTENCE_SEGMENTER.segment(paragraph), (s) => s.segment));
}

/** Cuts one text into documents by `mode`; documents are trimmed and empty ones dropped. */
export function splitText(text: string, mode: SplitMode): string[] {
  const pieces =
    mode === 'none'
      ? [text]
      : mode === 'line'
        ? text.split('\n')
        : mode === 'paragraph'
          ? paragraphs(text)
          : sentences(text);
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}
