import { decodeHTML } from 'entities';

/**
 * HTML entities whose `&` was replaced by a space in the AG News files, e.g. `world #39;s`,
 * `past  #36;10`, `his  quot;Gyro, quot;`. The space (if any) stood for the `&`.
 */
const ENTITY_DEBRIS = / ?(?<!&)(#\d{2,5};|#x[0-9a-f]{2,4};|\b(?:quot|amp|apos|lt|gt|nbsp);)/gi;

/** Markup left after decoding escaped tags such as `&lt;b&gt;...&lt;/b&gt;` or `&lt;TXN.N&gt;`. */
const TAG = /<\/?[a-z][^<>]*>/gi;

/** A tag right before punctuation, with the space in front of it (`Inc. <TXN.N>, and` → `Inc., and`). */
const TAG_BEFORE_PUNCTUATION = /\s*<\/?[a-z][^<>]*>(?=[,.;:!?])/gi;

/**
 * Cleans one AG News field: backslashes (single or doubled) that stand for line breaks become spaces,
 * entity debris (`#39;` → `'`, `#36;` → `$`, `quot;` → `"`, `amp;` → `&`, ...) and real entities are decoded,
 * tags are dropped, and runs of whitespace collapse to one space.
 */
export function cleanAgNewsText(text: string): string {
  const restored = text.replace(/\\+/g, ' ').replace(ENTITY_DEBRIS, '&$1');
  return decodeHTML(restored).replace(TAG_BEFORE_PUNCTUATION, '').replace(TAG, ' ').replace(/\s+/g, ' ').trim();
}
