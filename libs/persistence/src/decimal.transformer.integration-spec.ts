import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { NumericColumnError, moneyColumn, moneyTransformer } from './decimal.transformer.js';

@Entity({ name: 'numeric_probe' })
class NumericProbe {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ ...moneyColumn })
  value!: Decimal;
}

/** numeric(38,18): up to 20 integer digits and 18 fractional digits, any sign. */
const storableDecimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 38n - 1n }), fc.integer({ min: 0, max: 18 }))
  .map(([negative, digits, scale]) => {
    const text = digits.toString().padStart(scale + 1, '0');
    const integerPart = text.slice(0, text.length - scale).slice(-20);
    const fraction = text.slice(text.length - scale);
    return new Decimal(`${negative ? '-' : ''}${integerPart}${scale > 0 ? `.${fraction}` : ''}`);
  });

describe('DecimalTransformer through real PostgreSQL numeric(38,18)', () => {
  let database: TestDatabase;
  let probeSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    probeSource = new DataSource({ type: 'postgres', url: database.url, entities: [NumericProbe], synchronize: false });
    await probeSource.initialize();
    await probeSource.query('CREATE TABLE numeric_probe (id serial PRIMARY KEY, value numeric(38,18) NOT NULL)');
  });

  afterAll(async () => {
    await probeSource?.destroy();
    await database?.drop();
  });

  async function roundTrip(value: Decimal): Promise<Decimal> {
    const repository = probeSource.getRepository(NumericProbe);
    const saved = await repository.save(repository.create({ value }));
    const loaded = await repository.findOneByOrFail({ id: saved.id });
    return loaded.value;
  }

  it('round-trips every storable value exactly (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(storableDecimal, async (value) => {
        const loaded = await roundTrip(value);
        expect(loaded.eq(value)).toBe(true);
        expect(loaded.toFixed()).toBe(value.isZero() ? '0' : value.toFixed());
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });

  it.each([
    ['99999999999999999999.999999999999999999', 'the largest value'],
    ['-99999999999999999999.999999999999999999', 'the smallest value'],
    ['0.000000000000000001', 'one unit of the last place'],
    ['-0.000000000000000001', 'minus one unit of the last place'],
    ['12345678901234567890.123456789012345678', '38 significant digits'],
  ])('round-trips %s (%s)', async (text) => {
    expect((await roundTrip(new Decimal(text))).toFixed(18)).toBe(new Decimal(text).toFixed(18));
  });

  it('stores zero and negative zero as zero (numeric has no signed zero)', async () => {
    const loaded = await roundTrip(new Decimal('-0'));
    expect(loaded.isZero()).toBe(true);
    expect(loaded.isNegative()).toBe(false);
    expect((await roundTrip(new Decimal(0))).isZero()).toBe(true);
  });

  it('rejects, never rounds, values beyond the scale or the integer digits', () => {
    expect(() => moneyTransformer.to(new Decimal('0.0000000000000000001'))).toThrow(NumericColumnError);
    expect(() => moneyTransformer.to(new Decimal('100000000000000000000'))).toThrow(/integer digits/);
    expect(() => moneyTransformer.to(new Decimal('NaN'))).toThrow(NumericColumnError);
    expect(() => moneyTransformer.to(new Decimal('Infinity'))).toThrow(NumericColumnError);
    expect(() => moneyTransformer.to(1.5 as unknown as Decimal)).toThrow(/not JS numbers/);
  });

  it('refuses to save an over-scale value and leaves the table unchanged', async () => {
    const repository = probeSource.getRepository(NumericProbe);
    const before = await repository.count();
    await expect(repository.save(repository.create({ value: new Decimal('1.0000000000000000001') }))).rejects.toThrow(
      NumericColumnError,
    );
    expect(await repository.count()).toBe(before);
  });

  it('reads values written by SQL without passing through a JS number', async () => {
    await probeSource.query(`INSERT INTO numeric_probe (value) VALUES ('9007199254740993.000000000000000001')`);
    const [row] = await probeSource.getRepository(NumericProbe).find({ order: { id: 'DESC' }, take: 1 });
    expect(row?.value.toFixed()).toBe('9007199254740993.000000000000000001');
  });
});
