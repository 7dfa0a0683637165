import type { InputPolicy } from '../files';

/** What to do about a model folder file gennet did not write (a link, a folder, a device, a pipe). */
const NOT_OURS = 'a model folder holds only the files gennet wrote: re-train or restore the model folder';

/** How a model folder's JSON files are read (see `readInputFile`): no links, at most 256 MB. */
export const MODEL_JSON_POLICY: InputPolicy = {
  what: 'Model file',
  maxBytes: 256e6,
  tooBig: `no model's JSON is that large; ${NOT_OURS}`,
  instead: NOT_OURS,
  refuseLinks: true,
};

/**
 * How its other files (weights, optimizer state) are read: no links, at most 4 GB (about what one buffer holds);
 * the reader reads no more than config.json records for a file.
 */
export const MODEL_BINARY_POLICY: InputPolicy = {
  ...MODEL_JSON_POLICY,
  maxBytes: 4e9,
  tooBig: `no model's weights are that large; ${NOT_OURS}`,
};
