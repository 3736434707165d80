/** At most this many changed paths are listed; `truncated` says when there were more. */
export const DIFF_CHANGES_MAX = 1_000;
/** Nesting deeper than this is compared as a whole (parameter bodies are about six levels deep). */
const DIFF_DEPTH_MAX = 16;

export interface ParameterChange {
  /** Dotted path, array elements by index: `parameters.assets.BTC.initialHaircut`. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** Value in the active set (null when added). */
  readonly oldValue: unknown;
  /** Value in this set (null when removed). */
  readonly newValue: unknown;
}

export interface ParameterDiff {
  readonly changes: ParameterChange[];
  readonly truncated: boolean;
}

/** The leaf-level differences from `before` to `after`, in path order. */
export function diffParameterBodies(before: unknown, after: unknown): ParameterDiff {
  const changes: ParameterChange[] = [];
  let truncated = false;
  const visit = (path: string, left: unknown, right: unknown, depth: number): void => {
    if (truncated) return;
    if (
      depth < DIFF_DEPTH_MAX &&
      isContainer(left) &&
      isContainer(right) &&
      Array.isArray(left) === Array.isArray(right)
    ) {
      const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort(compareKeys);
      for (const key of keys) {
        const child = path === '' ? key : `${path}.${key}`;
        const hasLeft = Object.hasOwn(left, key);
        const hasRight = Object.hasOwn(right, key);
        const leftValue: unknown = (left as Record<string, unknown>)[key];
        const rightValue: unknown = (right as Record<string, unknown>)[key];
        if (!hasLeft) push({ path: child, kind: 'added', oldValue: null, newValue: rightValue });
        else if (!hasRight) push({ path: child, kind: 'removed', oldValue: leftValue, newValue: null });
        else visit(child, leftValue, rightValue, depth + 1);
      }
      return;
    }
    if (JSON.stringify(left) !== JSON.stringify(right)) {
      push({ path: path === '' ? '(body)' : path, kind: 'changed', oldValue: left, newValue: right });
    }
  };
  const push = (change: ParameterChange): void => {
    if (changes.length >= DIFF_CHANGES_MAX) truncated = true;
    else changes.push(change);
  };
  visit('', before, after, 0);
  return { changes, truncated };
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Array indices numerically, keys in code-unit order: the same on every machine. */
function compareKeys(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
