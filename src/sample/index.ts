export * from './generate';
export * from './logits';
