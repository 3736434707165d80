import { loadConfig } from '@novation/config';
import { issueAdminToken, verifyAdminToken } from './admin-token.js';

const settings = loadConfig({}).adminToken;
const NOW_MS = Date.UTC(2026, 10, 25, 12);

describe('admin tokens', () => {
  it('round-trips subject and roles', async () => {
    const token = await issueAdminToken(settings, {
      subject: 'alice',
      roles: ['risk-officer', 'auditor'],
      ttlSeconds: 600,
      nowEpochMs: NOW_MS,
    });
    await expect(verifyAdminToken(settings, token, NOW_MS + 1_000)).resolves.toEqual({
      subject: 'alice',
      roles: ['risk-officer', 'auditor'],
    });
  });

  it('refuses expired tokens, other audiences and member keys with typed codes', async () => {
    const claims = { subject: 'alice', roles: ['auditor'] as const, ttlSeconds: 60, nowEpochMs: NOW_MS };
    const token = await issueAdminToken(settings, claims);
    await expect(verifyAdminToken(settings, token, NOW_MS + 120_000)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    const other = await issueAdminToken({ ...settings, audience: 'elsewhere' }, claims);
    await expect(verifyAdminToken(settings, other, NOW_MS)).rejects.toMatchObject({ code: 'WRONG_AUDIENCE' });
    await expect(verifyAdminToken(settings, 'nov_abc', NOW_MS)).rejects.toMatchObject({
      code: 'MEMBER_API_KEY_REFUSED',
    });
  });

  it('issues nothing the verifier would refuse', async () => {
    const claims = { subject: 'alice', roles: ['auditor'] as const, ttlSeconds: 60, nowEpochMs: NOW_MS };
    await expect(issueAdminToken(settings, { ...claims, subject: 'no spaces allowed' })).rejects.toThrow(RangeError);
    await expect(issueAdminToken(settings, { ...claims, roles: [] })).rejects.toThrow(RangeError);
    await expect(issueAdminToken(settings, { ...claims, ttlSeconds: settings.ttlMaxSeconds + 1 })).rejects.toThrow(
      RangeError,
    );
  });
});
