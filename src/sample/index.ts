export * from './comparisonTable';
export * from './generate';
export * from './logits';
export * from './nextToken';
export * from './sampler';
export * from './temperatureComparison';
export * from './textMetrics';
export * from './promptCheck';
