export * from './cli/parse-command';
export * from './data/data-report';
export * from './data/data-sufficiency';
export * from './metrics/site-metrics-report';
export * from './progress/render-bar';
export * from './run/backoff';
export * from './run/task-queue';
export * from './transfer/upload-state';
