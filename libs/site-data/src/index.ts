export * from './labels-schema';
export * from './csv';
export * from './prng';
export * from './split';
export * from './labels-csv';
export * from './site-folder';
