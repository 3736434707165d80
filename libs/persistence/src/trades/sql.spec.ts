import { arrayParameter } from './sql.js';

describe('arrayParameter', () => {
  it('writes plain elements as PostgreSQL array text, nulls as NULL', () => {
    const uuid = '8f14e45f-ceea-467f-a0e6-6e6f1a2b3c4d';
    expect(arrayParameter([uuid, null, '-0.005', '123456789012345678', 'USDC', 'trade:v:T_1.a'])).toBe(
      `{${uuid},NULL,-0.005,123456789012345678,USDC,trade:v:T_1.a}`,
    );
    expect(arrayParameter([null])).toBe('{NULL}');
    expect(arrayParameter([])).toBe('{}');
  });

  it('leaves any array with an element that array text would misread to the driver, unchanged', () => {
    // A delimiter, a brace, a quote, a backslash, a space or an empty string changes how PostgreSQL splits
    // the text; the word null (any case) unquoted is SQL null.
    for (const odd of ['a,b', '{a}', 'say "hi"', 'back\\slash', 'two words', '', 'null', 'NULL', 'nUlL']) {
      const values = ['plain', odd];
      expect(arrayParameter(values)).toBe(values);
    }
  });
});
