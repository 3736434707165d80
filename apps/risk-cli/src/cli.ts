import { parseArgs } from 'node:util';
import { z } from 'zod';
import { NOVATION_VERSION } from '@novation/config';
import {
  EXIT_INVALID_INPUT,
  EXIT_SUCCESS,
  domainErrorBody,
  errorJson,
  invalidInputFromZod,
  type CliErrorBody,
} from './cli-errors.js';
import { COMMANDS, findCommand } from './commands/index.js';

export const HELP = `novation-risk ${NOVATION_VERSION}: the Novation margin replication kit

Recomputes Novation's prices and margins offline from JSON files, so a member firm can check every
figure the clearinghouse publishes.

Usage:
  novation-risk <command> [--input <file>]     read JSON from the file (or stdin), write JSON to stdout
  novation-risk <command> --schema             print the command's input as JSON Schema
  novation-risk <command> --progress           draw a progress bar on stderr (default: when stderr is a terminal)
  novation-risk --help | --version

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(20)}${command.summary}`).join('\n')}

Exit codes: 0 success; 2 invalid arguments or input (a JSON error on stderr names the field);
3 the engine refused the inputs (a JSON error with its typed code).

Examples:
  npx novation-risk --help
  npx novation-risk price --input apps/risk-cli/examples/price.json
  npx novation-risk var < apps/risk-cli/examples/var.json
  npx novation-risk backtest --schema
  npx novation-risk margin --input apps/risk-cli/examples/margin-portfolio-scenario.json > receipt.json
  npx novation-risk replay --input receipt.json
  npx novation-risk margin --progress --input book.json      (a batch: { ...snapshot, "accounts": [...] })
`;

/** The process edges, injected so runCli stays testable without files, stdin or a real terminal. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  readonly readStdin: () => Promise<string>;
  /** True when stderr is a terminal: the progress bar is then drawn without --progress. */
  readonly stderrIsTerminal?: boolean;
}

/** Runs shorter than this draw no bar unless --progress asks for one. */
const PROGRESS_AUTOMATIC_ITEM_COUNT_MIN = 1_000;
const PROGRESS_BAR_WIDTH = 30;

/** Runs the CLI with its arguments (without node and script); resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
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
        schema: { type: 'boolean' },
        progress: { type: 'boolean' },
      },
    });
  } catch (error) {
    return fail(io, EXIT_INVALID_INPUT, { code: 'INVALID_ARGUMENTS', message: (error as Error).message });
  }
  if (parsed.values.version === true) {
    io.stdout(`${NOVATION_VERSION}\n`);
    return EXIT_SUCCESS;
  }
  const [commandName, ...extra] = parsed.positionals;
  if (parsed.values.help === true || commandName === undefined) {
    io.stdout(HELP);
    return EXIT_SUCCESS;
  }
  const command = findCommand(commandName);
  if (command === undefined) {
    return fail(io, EXIT_INVALID_INPUT, {
      code: 'UNKNOWN_COMMAND',
      message: `unknown command "${commandName}"; see --help`,
    });
  }
  if (extra.length > 0) {
    return fail(io, EXIT_INVALID_INPUT, { code: 'INVALID_ARGUMENTS', message: `unexpected argument "${extra[0]}"` });
  }
  if (parsed.values.schema === true) {
    const documented = command.documentedSchema ?? command.schema;
    io.stdout(`${JSON.stringify(z.toJSONSchema(documented, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`);
    return EXIT_SUCCESS;
  }
  const inputPath = parsed.values.input;
  let text: string;
  try {
    text = inputPath === undefined ? await io.readStdin() : await io.readFile(inputPath);
  } catch (error) {
    return fail(io, EXIT_INVALID_INPUT, { code: 'INPUT_UNREADABLE', message: (error as Error).message });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(io, EXIT_INVALID_INPUT, { code: 'INVALID_INPUT', field: '', message: (error as Error).message });
  }
  const validated = command.schema.safeParse(document);
  if (!validated.success) return fail(io, EXIT_INVALID_INPUT, invalidInputFromZod(validated.error));
  try {
    const progress = progressBar(io, parsed.values.progress === true);
    const output = command.run(validated.data, { progress });
    io.stdout(`${JSON.stringify(output, null, 2)}\n`);
    return command.exitCodeOf?.(output) ?? EXIT_SUCCESS;
  } catch (error) {
    const { exitCode, body } = domainErrorBody(error);
    return fail(io, exitCode, body);
  }
}

/**
 * A one-line bar redrawn with a carriage return, at most once per whole percent so a 100k-account run
 * writes ~100 updates, not 100k. Drawn when asked (--progress) or, for long runs, when stderr is a terminal.
 */
function progressBar(io: CliIo, requested: boolean): (done: number, total: number) => void {
  let drawnPercent = -1;
  return (done, total) => {
    const automatic = io.stderrIsTerminal === true && total >= PROGRESS_AUTOMATIC_ITEM_COUNT_MIN;
    if (!(requested || automatic) || total <= 0) return;
    const percent = Math.floor((done * 100) / total);
    if (percent === drawnPercent) return;
    drawnPercent = percent;
    const filled = Math.round((PROGRESS_BAR_WIDTH * done) / total);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(PROGRESS_BAR_WIDTH - filled)}`;
    io.stderr(`\r[${bar}] ${String(percent).padStart(3)}% ${done}/${total}${done >= total ? '\n' : ''}`);
  };
}

function fail(io: CliIo, exitCode: number, body: CliErrorBody): number {
  io.stderr(errorJson(body));
  return exitCode;
}
