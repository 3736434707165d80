import type { DataSource, EntityManager } from 'typeorm';

/** One broken invariant: which check, and up to a few offending rows as plain JSON. */
export interface AuditViolation {
  readonly check: string;
  readonly description: string;
  readonly rows: readonly Record<string, unknown>[];
}

/** Rows reported per failed check: enough to debug, bounded so a broken ledger cannot flood a report. */
const SAMPLE_ROWS_MAX = 5;

interface AuditCheck {
  readonly name: string;
  readonly description: string;
  /** Returns the violating rows; an empty result means the invariant holds. */
  readonly sql: string;
}

/**
 * The invariants of the clearing core, as SQL over the whole database. Integration tests run them after
 * every scenario; an operator can run them on production (`npm run audit`, read-only queries).
 */
export const AUDIT_CHECKS: readonly AuditCheck[] = [
  {
    name: 'journal_entry_balanced_per_asset',
    description: 'every journal entry sums to zero per asset',
    sql: `SELECT journal_entry_id, asset, sum(amount)::text AS total FROM posting
          GROUP BY journal_entry_id, asset HAVING sum(amount) <> 0`,
  },
  {
    name: 'journal_entry_has_postings',
    description: 'every journal entry has at least two postings',
    sql: `SELECT entry.id FROM journal_entry entry LEFT JOIN posting ON posting.journal_entry_id = entry.id
          GROUP BY entry.id HAVING count(posting.id) < 2`,
  },
  {
    name: 'idempotency_key_unique',
    description: 'one journal entry per idempotency key',
    sql: `SELECT idempotency_key, count(*)::int AS entries FROM journal_entry GROUP BY idempotency_key HAVING count(*) > 1`,
  },
  {
    name: 'balances_equal_postings',
    description: 'the account_balance view equals the sum of postings',
    sql: `SELECT balance.account_id, balance.asset FROM account_balance balance
          JOIN (SELECT account_id, asset, sum(amount) AS total FROM posting GROUP BY account_id, asset) sums
            ON sums.account_id = balance.account_id AND sums.asset = balance.asset
          WHERE sums.total <> balance.balance`,
  },
  {
    name: 'member_balance_not_negative',
    // A deficit is allowed only while the account is being liquidated (the insurance fund then covers it).
    description: 'no member account outside liquidation holds a negative balance of any asset',
    sql: `SELECT balance.account_id, balance.asset, balance.balance::text AS balance FROM account_balance balance
          JOIN account ON account.id = balance.account_id
          WHERE account.kind <> 'house' AND account.margin_state <> 'liquidating' AND balance.balance < 0`,
  },
  {
    name: 'position_has_trades',
    // Liquidation moves positions without a venue trade: its fills count as the account's trades.
    description:
      'every non-flat position has at least one trade (or liquidation fill) of its account in its instrument',
    sql: `SELECT position.account_id, position.instrument_id FROM position
          WHERE position.quantity <> 0 AND NOT EXISTS (
            SELECT 1 FROM trade WHERE trade.instrument_id = position.instrument_id
              AND (trade.buyer_account_id = position.account_id OR trade.seller_account_id = position.account_id))
            AND NOT EXISTS (
            SELECT 1 FROM liquidation_fill fill
             WHERE fill.instrument_id = position.instrument_id AND fill.account_id = position.account_id)`,
  },
  {
    name: 'position_equals_trades',
    description:
      'every position quantity equals its bought minus sold quantity, liquidation fills included (until expiry closes it)',
    sql: `SELECT position.account_id, position.instrument_id, position.quantity::text AS quantity, net.total::text AS traded
          FROM position
          JOIN instrument ON instrument.id = position.instrument_id AND instrument.status = 'active'
          LEFT JOIN (
            SELECT account_id, instrument_id, sum(quantity) AS total FROM (
              SELECT buyer_account_id AS account_id, instrument_id, quantity FROM trade
              UNION ALL SELECT seller_account_id, instrument_id, -quantity FROM trade
              UNION ALL SELECT account_id, instrument_id, quantity FROM liquidation_fill
            ) fills GROUP BY account_id, instrument_id
          ) net ON net.account_id = position.account_id AND net.instrument_id = position.instrument_id
          WHERE position.quantity <> coalesce(net.total, 0)`,
  },
  {
    name: 'open_interest_flat',
    description: 'the clearinghouse is flat: positions in each instrument sum to zero',
    sql: `SELECT instrument_id, sum(quantity)::text AS net FROM position GROUP BY instrument_id HAVING sum(quantity) <> 0`,
  },
  {
    name: 'trade_has_ledger_entry',
    description: 'every trade that moved money points at an existing journal entry',
    sql: `SELECT trade.id FROM trade LEFT JOIN journal_entry entry ON entry.id = trade.journal_entry_id
          WHERE trade.journal_entry_id IS NOT NULL AND entry.id IS NULL`,
  },
  {
    name: 'active_liquidation_account_liquidating',
    description: 'an account with a pending or in-progress liquidation is in the liquidating state',
    sql: `SELECT liquidation.id, liquidation.account_id, account.margin_state FROM liquidation
          JOIN account ON account.id = liquidation.account_id
          WHERE liquidation.status IN ('pending', 'in_progress') AND account.margin_state <> 'liquidating'`,
  },
  {
    name: 'liquidation_step_has_ledger_entry',
    description: 'every liquidation step that moved money points at an existing journal entry with its key',
    sql: `SELECT step.id FROM liquidation_step step LEFT JOIN journal_entry entry ON entry.id = step.journal_entry_id
          WHERE step.journal_entry_id IS NOT NULL AND (entry.id IS NULL OR entry.idempotency_key <> step.idempotency_key)`,
  },
  {
    name: 'one_open_margin_call',
    description: 'at most one open margin call per account',
    sql: `SELECT account_id, count(*)::int AS open_calls FROM margin_call WHERE status = 'open'
          GROUP BY account_id HAVING count(*) > 1`,
  },
];

/** Runs every check; an empty array means the database is consistent. */
export async function auditInvariants(source: DataSource | EntityManager): Promise<AuditViolation[]> {
  const violations: AuditViolation[] = [];
  for (const check of AUDIT_CHECKS) {
    const rows: Record<string, unknown>[] = await source.query(`${check.sql} LIMIT ${SAMPLE_ROWS_MAX}`);
    if (rows.length > 0) violations.push({ check: check.name, description: check.description, rows });
  }
  return violations;
}
