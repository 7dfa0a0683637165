export * from './webModel';
export * from './site';
export * from './server';
