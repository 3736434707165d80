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
  /**
   * What `--schema` prints when it differs from `schema`: commands whose input is parsed by a lib
   * (margin requests, receipts) validate with the lib's parser, so the field named in an error is the
   * lib's, and document the lib's schema here.
   */
  readonly documentedSchema?: z.ZodType;
  readonly run: (input: z.output<Schema>, context: CliRunContext) => unknown;
  /** Exit code of a successful run's output; 0 when absent (e.g. `replay` exits 1 on a mismatch). */
  readonly exitCodeOf?: (output: unknown) => number;
}

/** What the CLI lends a command while it runs. */
export interface CliRunContext {
  /** Reports progress of a long run; drawn as a bar on stderr when enabled, otherwise ignored. */
  readonly progress: (done: number, total: number) => void;
}

/** Builds a command while keeping the schema's type, so `run` sees the parsed input precisely. */
export function defineCommand<Schema extends z.ZodType>(command: CliCommand<Schema>): CliCommand {
  return command as unknown as CliCommand;
}
