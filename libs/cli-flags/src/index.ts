export * from './usage-error';
export * from './parse-flags';
export * from './flag-values';
