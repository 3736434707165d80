/**
 * Checks a correlation matrix before it enters a variance: square, symmetric, unit diagonal, entries in
 * [-1, 1], and positive semi-definite. A matrix that is not PSD (for instance one assembled pairwise from
 * different windows) can produce a negative portfolio variance, i.e. a NaN VaR, or an understated one.
 */

/** Largest matrix accepted: a portfolio VaR over more risk factors belongs in a factor model. */
export const CORRELATION_MATRIX_SIZE_MAX = 1_000;
/** Slack for float64 round-off in symmetry and in the PSD pivots. */
const TOLERANCE = 1e-12;

export function assertCorrelationMatrix(matrix: readonly (readonly number[])[], size: number): void {
  if (size > CORRELATION_MATRIX_SIZE_MAX)
    throw new RangeError(`correlation matrix larger than ${CORRELATION_MATRIX_SIZE_MAX}`);
  if (matrix.length !== size) throw new RangeError(`correlation matrix must have ${size} rows, got ${matrix.length}`);
  matrix.forEach((row, rowIndex) => {
    if (row.length !== size) throw new RangeError(`correlation matrix row ${rowIndex} must have ${size} entries`);
    row.forEach((value, columnIndex) => {
      if (!Number.isFinite(value) || value < -1 || value > 1) {
        throw new RangeError(`correlation[${rowIndex}][${columnIndex}] must be in [-1, 1], got ${value}`);
      }
      if (rowIndex === columnIndex && value !== 1)
        throw new RangeError(`correlation[${rowIndex}][${rowIndex}] must be 1`);
      const mirror = matrix[columnIndex]?.[rowIndex] ?? Number.NaN;
      if (!(Math.abs(value - mirror) <= TOLERANCE)) throw new RangeError('correlation matrix must be symmetric');
    });
  });
  assertPositiveSemiDefinite(matrix, size);
}

/**
 * Cholesky-style elimination (LDLᵀ without pivoting): a symmetric matrix is PSD iff every pivot is >= 0
 * and a zero pivot's column is zero below it. Pivots within TOLERANCE of zero are treated as zero.
 */
function assertPositiveSemiDefinite(matrix: readonly (readonly number[])[], size: number): void {
  const work = matrix.map((row) => Float64Array.from(row));
  for (let pivotIndex = 0; pivotIndex < size; pivotIndex += 1) {
    const pivotRow = work[pivotIndex] ?? new Float64Array(size);
    const pivot = pivotRow[pivotIndex] ?? 0;
    if (pivot < -TOLERANCE) throw new RangeError('correlation matrix is not positive semi-definite');
    for (let rowIndex = pivotIndex + 1; rowIndex < size; rowIndex += 1) {
      const row = work[rowIndex] ?? new Float64Array(size);
      const entry = row[pivotIndex] ?? 0;
      if (pivot <= TOLERANCE) {
        if (Math.abs(entry) > 1e-9) throw new RangeError('correlation matrix is not positive semi-definite');
        continue;
      }
      const factor = entry / pivot;
      for (let columnIndex = pivotIndex; columnIndex < size; columnIndex += 1) {
        row[columnIndex] = (row[columnIndex] ?? 0) - factor * (pivotRow[columnIndex] ?? 0);
      }
    }
  }
}
