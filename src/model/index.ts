export * from './generator';
export * from './layers';
export * from './stepper';
export * from './trainedModel';
