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
    // floor(2^128 / 3) = 0x5555...5555
    expect(uuidSliceBounds(3)[0]?.[1]).toBe('55555555-5555-5555-5555-555555555555');
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
