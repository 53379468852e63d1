/**
 * `tributary start`: load the settings, start the broker, log one line saying where it listens and where
 * its data lives, and shut down gracefully on SIGTERM or SIGINT (a second signal exits at once).
 */
import pino from 'pino';
import { Broker, Logger } from '@tributary/broker';
import { BrokerSettings, SettingsError, loadBrokerSettings } from './broker-settings';

export interface StartArguments {
  config?: string;
  override?: string[];
}

/**
 * Log lines go to process.stdout, not to pino's own buffered destination: that one retries a failed write for
 * ever in its flush at exit, so a broker whose log reader went away during shutdown (a closed pipe: EPIPE) never
 * exited. A broken stdout drops log lines instead; it must not stop or crash the broker.
 */
function logDestination(): NodeJS.WritableStream {
  let reported = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || reported) return;
    reported = true;
    process.stderr.write(`tributary: cannot write logs to stdout (${error.code ?? error.message}); log lines are dropped\n`);
  });
  return process.stdout;
}

export async function startCommand(args: StartArguments): Promise<void> {
  const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, logDestination()) as unknown as Logger;
  let settings: BrokerSettings;
  try {
    settings = loadBrokerSettings(args.config, args.override ?? []);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`tributary: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  for (const key of settings.unknownKeys) logger.warn({ key }, `unknown configuration key ${key}: ignored (Kafka ignores it too, with this warning)`);
  if (settings.ignoredKeys.length > 0) logger.info({ keys: settings.ignoredKeys }, 'configuration keys accepted but not used by Tributary');

  // Signals are handled from before the broker starts: a SIGTERM that arrives while it starts (or right after
  // its start line) still gets a clean shutdown instead of Node's default exit.
  let broker: Broker | undefined;
  let signals = 0;
  const shutdown = (): void => {
    if (!broker) return;
    broker.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    logger.info({ signal }, 'signal received: shutting down');
    shutdown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    broker = await Broker.start({ config: settings.config, logger });
  } catch (error) {
    logger.error({ err: error }, `cannot start: ${(error as Error).message}`);
    process.exitCode = 1;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return;
  }
  logger.info(
    {
      brokerId: broker.metadata.localBrokerId,
      clusterId: broker.metadata.clusterId,
      listeners: broker.boundListeners.map(({ name, host, port }) => `${name}://${host.includes(':') ? `[${host}]` : host}:${port}`),
      advertisedListeners: broker.advertisedEndpoints.map(({ listenerName, host, port }) => `${listenerName}://${host}:${port}`),
      logDirs: settings.config.logDirs,
      config: settings.source ?? null,
    },
    `Tributary broker ${broker.metadata.localBrokerId} listening on ${broker.advertisedEndpoints.map(({ host, port }) => `${host}:${port}`).join(', ')}, data in ${settings.config.logDirs.join(', ')}`,
  );
  // A signal that came while the broker started is acted on now that there is a broker to stop.
  if (signals > 0) shutdown();
}
