export * from './blob';
export * from './chunked';
export * from './error-codes';
export * from './events';
export * from './metrics-report';
export * from './tensor';
export * from './weights';
export * from './signature';
