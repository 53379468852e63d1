export * from './primitives';
export * from './errors/tributary-error';
export * from './records/batch-header';
