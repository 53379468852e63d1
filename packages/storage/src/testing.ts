/** Test doubles for storage and for any package that tests on top of it. */
export { MemoryFileSystem, errno } from './fs/memory-file-system';
export { FaultyFileSystem, type FaultCode, type FaultRates } from './fs/faulty-file-system';
export { ManualClock } from './clock';
export { SeededRandom, seedFromEnv } from './random';
