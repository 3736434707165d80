import { parseArgs } from 'node:util';
import { NOVATION_VERSION } from '@novation/config';

export const HELP = `novation-risk ${NOVATION_VERSION}: the Novation margin replication kit

Recomputes Novation's prices and margins offline from JSON files, so a member firm can check every
figure the clearinghouse publishes.

Usage:
  novation-risk <command> [--input <file>] [options]
  novation-risk --help | --version

Commands arrive with the risk engine (price, implied-vol, margin, replay, stress, var, backtest,
liquidation-price, max-size). Each reads JSON from --input or stdin and writes JSON to stdout; bad
input exits non-zero with a JSON error naming the offending field.

Examples:
  npx novation-risk --help
  npx novation-risk --version
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs the CLI with its arguments (without node and script); returns the process exit code. */
export function runCli(argv: readonly string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        input: { type: 'string', short: 'i' },
      },
    });
  } catch (error) {
    io.stderr(`${JSON.stringify({ error: { code: 'INVALID_ARGUMENTS', message: (error as Error).message } })}\n`);
    return 2;
  }
  if (parsed.values.version === true) {
    io.stdout(`${NOVATION_VERSION}\n`);
    return 0;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help === true || command === undefined) {
    io.stdout(HELP);
    return 0;
  }
  io.stderr(
    `${JSON.stringify({ error: { code: 'UNKNOWN_COMMAND', message: `unknown command "${command}"; see --help` } })}\n`,
  );
  return 2;
}
