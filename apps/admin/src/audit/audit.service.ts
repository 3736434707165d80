import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditLogEntity } from '@novation/persistence';
import type { DataSource, EntityManager } from 'typeorm';

/** Column widths of audit_log: longer values are cut, never refused (an audit write must not fail on length). */
const ACTOR_LENGTH_MAX = 128;
const ACTION_LENGTH_MAX = 64;
const SUBJECT_TYPE_LENGTH_MAX = 64;
const SUBJECT_ID_LENGTH_MAX = 128;

export interface AuditRecord {
  /** The admin (token subject) who acted, or 'anonymous' when no token was verified. */
  readonly actor: string;
  /** Dotted verb, e.g. 'parameter-set.approved' or 'auth.refused'. */
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  /** What changed or why it was refused; never a secret or a token. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Appends rows to audit_log (append-only: a trigger refuses updates and deletes). */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes one row, on `manager` when given so the record commits or rolls back with the change it
   * describes, otherwise on its own connection (refusals, which change nothing else).
   */
  async record(record: AuditRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.insert(AuditLogEntity, {
      actor: record.actor.slice(0, ACTOR_LENGTH_MAX),
      action: record.action.slice(0, ACTION_LENGTH_MAX),
      subjectType: record.subjectType.slice(0, SUBJECT_TYPE_LENGTH_MAX),
      subjectId: record.subjectId.slice(0, SUBJECT_ID_LENGTH_MAX),
      details: record.details,
    });
  }
}
