/**
 * CPU time of this Node process and of a database's PostgreSQL backends, for benches that report CPU per
 * unit of work: on a machine shared with other work, wall-clock rates vary by tens of percent from run to
 * run, CPU time per unit far less, so two builds compare on it.
 */
import { readFile } from 'node:fs/promises';
import type { DataSource } from 'typeorm';

/** Clock ticks per second of /proc/<pid>/stat on Linux (USER_HZ): 100 on every mainstream kernel. */
const PROC_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) of each backend of the database so far, by process id; null when /proc does
 * not show them (the server runs elsewhere).
 */
export async function postgresCpuMs(dataSource: DataSource): Promise<Map<number, number> | null> {
  const backends: { pid: number }[] = await dataSource.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`,
  );
  const cpuMs = new Map<number, number>();
  for (const { pid } of backends) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return null;
    }
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = stat.split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(ticks)) return null;
    cpuMs.set(pid, (ticks * 1000) / PROC_TICKS_PER_SECOND);
  }
  return cpuMs;
}

/** CPU spent between two readings by the backends alive at the second (a new one: all of its time). */
export function postgresCpuBetween(
  before: Map<number, number> | null,
  after: Map<number, number> | null,
): number | null {
  if (before === null || after === null) return null;
  let total = 0;
  for (const [pid, cpuMs] of after) total += cpuMs - (before.get(pid) ?? 0);
  return total;
}

export function nodeCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
