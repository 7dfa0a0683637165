export * from './webModel';
export * from './site';
