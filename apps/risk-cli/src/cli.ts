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
`;

/** The process edges, injected so runCli stays testable without files, stdin or a real terminal. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  readonly readStdin: () => Promise<string>;
}

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
    io.stdout(`${JSON.stringify(z.toJSONSchema(command.schema, { io: 'input' }), null, 2)}\n`);
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
    io.stdout(`${JSON.stringify(command.run(validated.data), null, 2)}\n`);
    return EXIT_SUCCESS;
  } catch (error) {
    const { exitCode, body } = domainErrorBody(error);
    return fail(io, exitCode, body);
  }
}

function fail(io: CliIo, exitCode: number, body: CliErrorBody): number {
  io.stderr(errorJson(body));
  return exitCode;
}
