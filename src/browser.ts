// The browser-safe part of the library, for a web page of your own (bundle it with esbuild, Vite, …): vocabularies,
// models and cells, engines (native reports itself unavailable in a browser), steppers, samplers, beam search, text
// metrics, a model's bytes → generator, and the web model of `gennet export-web`. Nothing here imports a Node module;
// `npm test` bundles this file for the browser with no external modules to prove it.
export * from './backendDescription';
export * from './random';
export * from './vocab';
export * from './model';
export * from './engines';
export * from './families';
export * from './sample';
export * from './io/modelBytes';
export * from './web/webModel';
