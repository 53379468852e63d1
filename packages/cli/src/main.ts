/**
 * The `tributary` command. `tributary` alone is `tributary start` with the defaults: a broker on
 * localhost:9092 with its data in ./data.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_ADVERTISED_LISTENERS, DEFAULT_DATA_DIR, DEFAULT_LISTENERS } from './broker-settings';
import { startCommand } from './start';

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('tributary')
    .usage('$0 [command] [options]\n\nA Kafka-compatible message broker. With no command, runs `start`.')
    .command(
      ['start [config]', '$0 [config]'],
      'Start a broker, reading Kafka server.properties keys',
      (command) =>
        command
          .positional('config', {
            describe: 'A server.properties file in Kafka\'s format (optional)',
            type: 'string',
          })
          .option('override', {
            describe: 'Set a broker config key, as in kafka-server-start.sh: --override key=value (repeatable; wins over the file)',
            type: 'string',
            array: true,
            requiresArg: true,
          })
          .epilogue(
            `Defaults that differ from Kafka's: data in ${DEFAULT_DATA_DIR} (unless log.dir or log.dirs is set); ` +
              `when neither listeners nor advertised.listeners is set, binds ${DEFAULT_LISTENERS} and advertises ${DEFAULT_ADVERTISED_LISTENERS}.`,
          )
          .example('$0', 'a broker on localhost:9092, data in ./data')
          .example('$0 start config/server.properties --override broker.id=1', 'Kafka\'s file, with a key overridden'),
      (args) => startCommand({ config: args.config, override: args.override }),
    )
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110));
}

/** Runs the command line (arguments without node and the script). */
export function runCli(args: string[]): void {
  void buildCli(args).parseAsync();
}

if (require.main === module) runCli(hideBin(process.argv));
