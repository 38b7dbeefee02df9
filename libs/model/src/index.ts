export * from './engine';
export * from './densenet/architectures';
export * from './densenet/build-model';
export * from './densenet/parameter-count';
export * from './densenet/seeded-initializers';
export * from './io/layers-format';
export * from './io/named-weights';
export * from './io/load-weights-by-name';
