import type { EntityManager } from 'typeorm';
import { OutboxEventEntity } from '../outbox/outbox-event.entity.js';

/** Largest page of failed outbox events. */
export const FAILED_OUTBOX_PAGE_SIZE_MAX = 100;

/** Outbox events the dispatcher gave up on, newest first, one page (offset pagination) and the total. */
export async function failedOutboxEvents(
  manager: EntityManager,
  page: { readonly limit: number; readonly offset: number },
): Promise<{ items: OutboxEventEntity[]; total: number }> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > FAILED_OUTBOX_PAGE_SIZE_MAX) {
    throw new RangeError(`limit must be 1 to ${FAILED_OUTBOX_PAGE_SIZE_MAX}`);
  }
  const [items, total] = await manager.findAndCount(OutboxEventEntity, {
    where: { status: 'failed' },
    order: { id: 'DESC' },
    take: page.limit,
    skip: page.offset,
  });
  return { items, total };
}
