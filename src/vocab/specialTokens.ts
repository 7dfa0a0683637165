/** Id of `<pad>`: fills batches up to their longest example; masked out of the loss. */
export const PAD_ID = 0;
/** Id of `<eos>`: ends a document or line (and begins one in line datasets). */
export const EOS_ID = 1;
/** Id of `<unk>`: stands for every token the vocabulary does not hold. */
export const UNK_ID = 2;

/** The special tokens every vocabulary starts with, in id order (`<pad>` 0, `<eos>` 1, `<unk>` 2). */
export const SPECIAL_TOKENS: readonly string[] = ['<pad>', '<eos>', '<unk>'];
