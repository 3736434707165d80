import { AccountEntity, isUuid } from '@novation/persistence';
import { Not, type EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { CollateralException } from './collateral.exception.js';

/**
 * The id of a member account of the caller's firm, or ACCOUNT_NOT_FOUND: another firm's account, a house
 * account, a malformed id and a missing one are refused identically, before any other check, so the
 * answer says nothing about accounts the caller does not own. Account ownership never changes, so the
 * check need not share the transaction of the operation.
 */
export async function ownedAccountId(
  manager: EntityManager,
  principal: Principal,
  accountId: string,
  field: string,
): Promise<string> {
  const memberFirmId = memberFirmOf(principal);
  const found =
    isUuid(accountId) &&
    (await manager.existsBy(AccountEntity, { id: accountId.toLowerCase(), memberFirmId, kind: Not('house') }));
  if (!found) throw new CollateralException('ACCOUNT_NOT_FOUND', `no account ${accountId.slice(0, 64)}`, field);
  return accountId.toLowerCase();
}

export function memberFirmOf(principal: Principal): string {
  if (principal.memberFirmId === null) {
    throw new CollateralException('NOT_A_MEMBER_FIRM_KEY', 'this API key belongs to no member firm');
  }
  return principal.memberFirmId;
}
