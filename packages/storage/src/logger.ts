/** Where storage reports what it did (recovery, deletion, offline dirs). The broker passes its own logger. */
export interface StorageLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: StorageLogger = { info: () => {}, warn: () => {}, error: () => {} };

export const consoleLogger: StorageLogger = {
  info: (m) => console.info(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};
