/**
 * The `fedaln-site` command line: parse, dispatch, and turn failures into exit codes (2 for a bad
 * command line, 1 for anything else, with the reason on stderr).
 */
import { UsageError } from '@fedaln/cli-flags';
import { parseCommand, USAGE } from './cli/parse-command';
import { adaptCommand } from './commands/adapt-command';
import { evaluateCommand } from './commands/evaluate-command';
import { inspectDataCommand } from './commands/inspect-data-command';
import { predictCommand } from './commands/predict-command';
import { pullCommand } from './commands/pull-command';
import { runCommand } from './commands/run-command';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(argv: readonly string[]): Promise<number> {
  const cmd = parseCommand(argv, process.env);
  switch (cmd.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'run':
      return runCommand(cmd, log);
    case 'pull':
      return pullCommand(cmd, log);
    case 'predict':
      return predictCommand(cmd, log);
    case 'evaluate':
      return evaluateCommand(cmd, log);
    case 'adapt':
      return adaptCommand(cmd, log);
    case 'inspect-data':
      return inspectDataCommand(cmd, (line) => process.stdout.write(`${line}\n`), log);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      log(err.message);
      process.exit(err.exitCode);
    }
    log(`fedaln-site: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
