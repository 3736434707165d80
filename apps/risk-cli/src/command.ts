import type { z } from 'zod';

/**
 * One `novation-risk` subcommand: a zod schema for its JSON input (also printed by `--schema`) and a pure
 * function from the parsed input to the JSON written on stdout. Domain errors are thrown and mapped to
 * exit code 3 in one place (cli-errors.ts).
 */
export interface CliCommand<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly summary: string;
  readonly schema: Schema;
  readonly run: (input: z.output<Schema>) => unknown;
}

/** Builds a command while keeping the schema's type, so `run` sees the parsed input precisely. */
export function defineCommand<Schema extends z.ZodType>(command: CliCommand<Schema>): CliCommand {
  return command as unknown as CliCommand;
}
