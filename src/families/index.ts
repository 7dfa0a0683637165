export * from './family';
export * from './registry';
export { recurrentFamily } from './recurrent';
export { type NgramGenerator, ngramFamily, NgramModel, NgramStepper } from './ngram';
export { buildMlp, type MlpConfig, mlpFamily, MlpStepper } from './mlp';
export { attentionMaps, type AttentionMaps, buildGpt, type GptConfig, gptFamily, GptStepper } from './gpt';
