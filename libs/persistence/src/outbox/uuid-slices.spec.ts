import { uuidSliceBounds } from './margin-checks.js';

describe('uuidSliceBounds', () => {
  it('is the whole uuid space for one slice', () => {
    expect(uuidSliceBounds(1)).toEqual([[null, null]]);
  });

  it('cuts the space into equal, contiguous slices in uuid (big-endian) order', () => {
    expect(uuidSliceBounds(2)).toEqual([
      [null, '80000000-0000-0000-0000-000000000000'],
      ['80000000-0000-0000-0000-000000000000', null],
    ]);
    const four = uuidSliceBounds(4);
    expect(four.map(([from]) => from)).toEqual([
      null,
      '40000000-0000-0000-0000-000000000000',
      '80000000-0000-0000-0000-000000000000',
      'c0000000-0000-0000-0000-000000000000',
    ]);
    // floor(2^32 / 3) = 0x55555555 and floor(2 * 2^32 / 3) = 0xaaaaaaaa, on top of zeros.
    expect(uuidSliceBounds(3)).toEqual([
      [null, '55555555-0000-0000-0000-000000000000'],
      ['55555555-0000-0000-0000-000000000000', 'aaaaaaaa-0000-0000-0000-000000000000'],
      ['aaaaaaaa-0000-0000-0000-000000000000', null],
    ]);
    // floor(999 * 2^32 / 1000) = 4290672328 = 0xffbe76c8
    expect(uuidSliceBounds(1000)[999]?.[0]).toBe('ffbe76c8-0000-0000-0000-000000000000');
    for (const slices of [four, uuidSliceBounds(7), uuidSliceBounds(1000)]) {
      slices.slice(1).forEach(([from], index) => expect(from).toBe(slices[index]?.[1]));
      expect(slices[slices.length - 1]?.[1]).toBeNull();
    }
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => uuidSliceBounds(0)).toThrow('positive integer');
    expect(() => uuidSliceBounds(1.5)).toThrow('positive integer');
  });
});
