export * from './primitives';
export * from './errors/tributary-error';
export * from './records/batch-header';
export * from './records';
export * from './compression';
export * from './entities';
export { RawTaggedField } from './codec/runtime';
export * from './generated';
export * from './framing';
