import { phaseInModel, setVersionOf } from './parameter-phase-in.queries.js';

const HOUR_MS = 3_600_000;
const START = new Date('2026-12-01T00:00:00Z');

describe('phaseInModel', () => {
  const record = { periodMs: 2 * 24 * HOUR_MS, fromId: 'f', fromVersion: 'v1' };

  it('shows weight 0 before the start, hourly steps during the period and 1 from its end', () => {
    const at = (offsetMs: number) => phaseInModel('v2', START, record, START.getTime() + offsetMs);
    expect(at(-1)).toEqual({
      fromVersion: 'v1',
      periodDays: 2,
      endsAt: '2026-12-03T00:00:00.000Z',
      weight: '0',
      versionNow: 'v2',
    });
    expect(at(0)).toMatchObject({ weight: '0', versionNow: 'v2@phase-0' });
    // 36 h of 48: w = 0.75.
    expect(at(36 * HOUR_MS + 59 * 60_000)).toMatchObject({ weight: '0.75', versionNow: 'v2@phase-0.75' });
    expect(at(48 * HOUR_MS)).toMatchObject({ weight: '1', versionNow: 'v2' });
  });

  it('names a set in force by its own version, not its phase-in label', () => {
    expect(setVersionOf({ version: 'v2' })).toBe('v2');
    expect(
      setVersionOf({
        version: 'v2@phase-0.5',
        phaseIn: { setVersion: 'v2', fromVersion: 'v1', periodMs: 1, stepIndex: 1, stepCount: 2, weight: '0.5' },
      }),
    ).toBe('v2');
  });
});
