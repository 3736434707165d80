import { DIFF_CHANGES_MAX, diffParameterBodies } from './parameter-diff.js';

describe('diffParameterBodies', () => {
  it('lists added, removed and changed leaves by path, in order', () => {
    const before = { a: { x: '1', y: [1, 2] }, b: true };
    const after = { a: { x: '2', y: [1, 3, 4] }, c: null };
    expect(diffParameterBodies(before, after)).toEqual({
      truncated: false,
      changes: [
        { path: 'a.x', kind: 'changed', oldValue: '1', newValue: '2' },
        { path: 'a.y.1', kind: 'changed', oldValue: 2, newValue: 3 },
        { path: 'a.y.2', kind: 'added', oldValue: null, newValue: 4 },
        { path: 'b', kind: 'removed', oldValue: true, newValue: null },
        { path: 'c', kind: 'added', oldValue: null, newValue: null },
      ],
    });
  });

  it('finds nothing between equal bodies and bounds the list', () => {
    expect(diffParameterBodies({ a: [1] }, { a: [1] })).toEqual({ changes: [], truncated: false });
    const wide = Object.fromEntries(Array.from({ length: DIFF_CHANGES_MAX + 5 }, (_, index) => [`k${index}`, index]));
    const diff = diffParameterBodies({}, wide);
    expect(diff.changes).toHaveLength(DIFF_CHANGES_MAX);
    expect(diff.truncated).toBe(true);
  });
});
