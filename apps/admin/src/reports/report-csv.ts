import { stringify } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';

/** Rows one CSV download holds at most; the response says when it stopped there (X-Truncated). */
export const CSV_ROWS_MAX = 10_000;

export type ReportFormat = 'json' | 'csv';

/** CSV when asked by `?format=csv` or by an Accept header naming text/csv; the query wins. */
export function requestedFormat(format: ReportFormat | undefined, accept: string | undefined): ReportFormat {
  if (format !== undefined) return format;
  return accept?.toLowerCase().includes('text/csv') === true ? 'csv' : 'json';
}

/**
 * Writes `rows` as CSV (header line first, RFC 4180 quoting by csv-stringify, so commas and quotes in
 * values stay in their cell) and returns the body for Nest to send.
 */
export function sendCsv<Row>(
  reply: FastifyReply,
  fileName: string,
  columns: readonly { key: string; value: (row: Row) => string | number | boolean | null }[],
  rows: readonly Row[],
  truncated = false,
): string {
  const records = rows.map((row) => columns.map((column) => column.value(row)));
  void reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .header('x-truncated', String(truncated));
  return stringify(records, { header: true, columns: columns.map((column) => column.key), cast: { boolean: String } });
}
