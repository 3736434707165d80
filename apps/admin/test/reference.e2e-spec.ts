import { recordDeposit, requestWithdrawal, submitTrades } from '@novation/persistence';
import {
  HOUR_MS,
  auditRows,
  expectAuthorizationMatrix,
  snapshot,
  startAdmin,
  type Endpoint,
  type Harness,
} from './reference-data.harness.js';

interface Instrument {
  id: string;
  symbol: string;
  kind: string;
  status: string;
  expiresAt: string | null;
  [field: string]: unknown;
}
interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  violations?: { field: string; message: string }[];
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('reference data over HTTP: instruments, assets, member firms and accounts', () => {
  let harness: Harness;
  let venueId: string;
  let operations: string;
  let officer: string;
  let auditor: string;

  beforeAll(async () => {
    harness = await startAdmin();
    operations = harness.tokens.operations;
    officer = harness.tokens['risk-officer'];
    auditor = harness.tokens.auditor;
    [{ id: venueId }] = (await harness.dataSource.query(`SELECT id FROM venue WHERE code = 'DEMO'`)) as {
      id: string;
    }[];
  });

  afterAll(async () => {
    await harness?.close();
  });

  const call = <T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) =>
    harness.call<T>(method, path, token, body);

  async function count(table: string): Promise<number> {
    const [row] = (await harness.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)) as { n: number }[];
    return row?.n ?? 0;
  }

  async function instrumentId(symbol: string): Promise<string> {
    const [row] = (await harness.dataSource.query(`SELECT id FROM instrument WHERE symbol = $1`, [symbol])) as {
      id: string;
    }[];
    if (row === undefined) throw new Error(`no ${symbol}`);
    return row.id;
  }

  async function accountId(firm: string, code: string): Promise<string> {
    const [row] = (await harness.dataSource.query(
      `SELECT account.id FROM account JOIN member_firm firm ON firm.id = account.member_firm_id
        WHERE firm.code = $1 AND account.code = $2`,
      [firm, code],
    )) as { id: string }[];
    if (row === undefined) throw new Error(`no ${firm}/${code}`);
    return row.id;
  }

  const inDays = (days: number): string => new Date(Date.now() + days * 24 * HOUR_MS).toISOString();

  describe('instruments', () => {
    it('lists the seeded instruments by symbol, paginated and filtered', async () => {
      const symbols = (
        (await harness.dataSource.query(`SELECT symbol FROM instrument ORDER BY symbol`)) as { symbol: string }[]
      ).map((row) => row.symbol);
      expect(symbols).toHaveLength(9);
      const first = await call<Page<Instrument>>('GET', '/v1/instruments?limit=4', auditor);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total: 9, limit: 4, offset: 0 });
      expect(first.body.items.map((item) => item.symbol)).toEqual(symbols.slice(0, 4));
      const last = await call<Page<Instrument>>('GET', '/v1/instruments?limit=4&offset=8', auditor);
      expect(last.body.items.map((item) => item.symbol)).toEqual(symbols.slice(8));
      const eth = await call<Page<Instrument>>('GET', '/v1/instruments?underlying=ETH-USD', auditor);
      expect(eth.body.items.map((item) => item.symbol)).toEqual(['ETH-PERP']);
      expect(eth.body.items[0]).toMatchObject({
        kind: 'perpetual',
        settlementType: 'linear',
        contractSize: '1',
        quantityStep: '0.001',
        status: 'active',
        venueId,
      });
      const options = await call<Page<Instrument>>('GET', '/v1/instruments?kind=option&status=active', auditor);
      expect(options.body.total).toBe(5);
      const delisted = await call<Page<Instrument>>('GET', '/v1/instruments?status=delisted', auditor);
      expect(delisted.body).toEqual({ items: [], total: 0, limit: 20, offset: 0 });
    });

    it('refuses bad list queries with INVALID_REQUEST', async () => {
      for (const query of ['limit=0', 'limit=101', 'offset=-1', 'kind=swap', 'status=halted', 'underlying=btc']) {
        const response = await call<ErrorBody>('GET', `/v1/instruments?${query}`, auditor);
        expect({ query, status: response.status, code: response.body.code }).toEqual({
          query,
          status: 400,
          code: 'INVALID_REQUEST',
        });
      }
    });

    it('lists every kind the schema supports, with exact values, and audits each listing', async () => {
      const expiry = inDays(30);
      const requests = [
        {
          symbol: 'ETH-USDC-SPOT',
          kind: 'spot',
          settlementType: 'linear',
          underlying: 'ETH-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '1',
        },
        {
          symbol: 'ETH-USD-PERP',
          kind: 'perpetual',
          settlementType: 'inverse',
          underlying: 'ETH-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'ETH',
          contractSize: '10',
          quantityStep: '1',
          priceTick: '0.05',
          venueId,
        },
        {
          symbol: 'ETH-FUT-A',
          kind: 'future',
          settlementType: 'linear',
          underlying: 'ETH-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '0.1',
          quantityStep: '0.01',
          expiresAt: expiry,
          venueId,
        },
        {
          symbol: 'ETH-FUT-A-4000-C',
          kind: 'option',
          settlementType: 'inverse',
          underlying: 'ETH-USD',
          quoteAsset: 'ETH',
          settlementAsset: 'ETH',
          contractSize: '1',
          expiresAt: expiry,
          strike: '4000',
          optionType: 'call',
          underlyingReference: 'future',
        },
      ];
      const before = await count('instrument');
      for (const request of requests) {
        const response = await call<Instrument>('POST', '/v1/instruments', operations, request);
        expect(response.status).toBe(201);
        expect(response.body).toEqual({
          id: expect.any(String),
          symbol: request.symbol,
          kind: request.kind,
          settlementType: request.settlementType,
          underlying: 'ETH-USD',
          quoteAsset: request.quoteAsset,
          settlementAsset: request.settlementAsset,
          contractSize: request.contractSize,
          quantityStep: request.quantityStep ?? '1',
          priceTick: request.priceTick ?? null,
          expiresAt: request.expiresAt ?? null,
          strike: request.strike ?? null,
          optionType: request.optionType ?? null,
          underlyingReference: request.underlyingReference ?? null,
          status: 'active',
          venueId: request.venueId ?? null,
          createdAt: expect.any(String),
        });
        const stored = await call<Instrument>('GET', `/v1/instruments/${response.body.id}`, auditor);
        expect(stored.body).toEqual(response.body);
      }
      expect(await count('instrument')).toBe(before + 4);
      const listed = await auditRows(harness.dataSource, 'instrument.listed');
      expect(listed.map((row) => [row.actor, (row.details['request'] as { symbol: string }).symbol])).toEqual(
        requests.map((request) => ['otto', request.symbol]),
      );
      // An option defaults to the spot reference.
      const spotOption = await call<Instrument>('POST', '/v1/instruments', operations, {
        ...requests[3],
        symbol: 'ETH-FUT-A-3000-P',
        strike: '3000',
        optionType: 'put',
        underlyingReference: undefined,
      });
      expect(spotOption.body).toMatchObject({ underlyingReference: 'spot', strike: '3000', optionType: 'put' });
    });

    it('refuses invalid listings with typed codes and stores nothing', async () => {
      const base = {
        symbol: 'SOL-PERP-X',
        kind: 'perpetual',
        settlementType: 'linear',
        underlying: 'SOL-USD',
        quoteAsset: 'USDC',
        settlementAsset: 'USDC',
        contractSize: '1',
      };
      const cases: [string, Record<string, unknown>, number, string, string[]][] = [
        ['lower-case symbol', { ...base, symbol: 'sol-perp' }, 400, 'INVALID_REQUEST', ['symbol']],
        ['unknown field', { ...base, leverage: 100 }, 400, 'INVALID_REQUEST', ['leverage']],
        ['missing kind', { ...base, kind: undefined }, 400, 'INVALID_REQUEST', ['kind']],
        ['future without expiry', { ...base, kind: 'future' }, 400, 'INVALID_INSTRUMENT', ['expiresAt']],
        [
          'perpetual with option fields',
          { ...base, strike: '100', optionType: 'call', expiresAt: inDays(1) },
          400,
          'INVALID_INSTRUMENT',
          ['expiresAt', 'strike', 'optionType'],
        ],
        [
          'option without strike and type',
          { ...base, kind: 'option', expiresAt: inDays(1) },
          400,
          'INVALID_INSTRUMENT',
          ['strike', 'optionType'],
        ],
        [
          'inverse spot',
          { ...base, kind: 'spot', settlementType: 'inverse' },
          400,
          'INVALID_INSTRUMENT',
          ['settlementType'],
        ],
        ['zero contract size', { ...base, contractSize: '0' }, 400, 'INVALID_AMOUNT', ['contractSize']],
        ['zero quantity step', { ...base, quantityStep: '0.000' }, 400, 'INVALID_AMOUNT', ['quantityStep']],
        [
          'already expired',
          { ...base, kind: 'future', expiresAt: new Date(Date.now() - HOUR_MS).toISOString() },
          409,
          'INSTRUMENT_ALREADY_EXPIRED',
          ['expiresAt'],
        ],
        ['unknown quote asset', { ...base, quoteAsset: 'XYZ' }, 404, 'ASSET_NOT_FOUND', ['quoteAsset']],
        ['unknown venue', { ...base, venueId: MISSING_ID }, 404, 'VENUE_NOT_FOUND', ['venueId']],
        ['taken symbol', { ...base, symbol: 'BTC-PERP' }, 409, 'ALREADY_EXISTS', ['symbol']],
      ];
      const before = await snapshot(harness.dataSource);
      for (const [name, body, status, code, fields] of cases) {
        const response = await call<ErrorBody>('POST', '/v1/instruments', operations, body);
        expect({
          name,
          status: response.status,
          code: response.body.code,
          fields: (response.body.violations ?? []).map((violation) => violation.field),
        }).toEqual({ name, status, code, fields: expect.arrayContaining(fields) });
      }
      expect(await snapshot(harness.dataSource)).toEqual(before);
    });

    it('answers an unknown or malformed id with INSTRUMENT_NOT_FOUND or INVALID_REQUEST', async () => {
      expect((await call<ErrorBody>('GET', `/v1/instruments/${MISSING_ID}`, auditor)).body).toMatchObject({
        statusCode: 404,
        code: 'INSTRUMENT_NOT_FOUND',
      });
      expect((await call<ErrorBody>('GET', '/v1/instruments/42', auditor)).body).toMatchObject({
        statusCode: 400,
        code: 'INVALID_REQUEST',
      });
      const change = await call<ErrorBody>('POST', `/v1/instruments/${MISSING_ID}/status`, operations, {
        status: 'delisted',
        reason: 'x',
      });
      expect(change.body).toMatchObject({ statusCode: 404, code: 'INSTRUMENT_NOT_FOUND' });
    });

    it('runs the lifecycle: delist, relist, expire, with open positions and expiry guarded', async () => {
      const ethPerp = await instrumentId('ETH-PERP');
      const bravoIsolated = await accountId('BRAVO', 'eth-isolated');
      await harness.dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price) VALUES ($1, $2, 2, 3000)`,
        [bravoIsolated, ethPerp],
      );
      const changeStatus = (id: string, status: string, token = operations) =>
        call<Instrument & ErrorBody>('POST', `/v1/instruments/${id}/status`, token, { status, reason: 'test' });

      // A position is open: delisting would strand it (no more variation margin or funding).
      expect((await changeStatus(ethPerp, 'delisted')).body).toMatchObject({ statusCode: 409, code: 'OPEN_POSITIONS' });
      expect((await changeStatus(ethPerp, 'expired')).body).toMatchObject({
        statusCode: 409,
        code: 'INVALID_TRANSITION',
      });
      expect((await changeStatus(ethPerp, 'active')).body).toMatchObject({
        statusCode: 409,
        code: 'INVALID_TRANSITION',
      });

      const spot = await instrumentId('ETH-USDC-SPOT');
      const delisted = await changeStatus(spot, 'delisted');
      expect(delisted.status).toBe(200);
      expect(delisted.body).toMatchObject({ symbol: 'ETH-USDC-SPOT', status: 'delisted' });
      expect((await changeStatus(spot, 'delisted')).body).toMatchObject({ code: 'INVALID_TRANSITION' });
      expect((await changeStatus(spot, 'active')).body).toMatchObject({ status: 'active' });

      // A future before expiry cannot be expired; after expiry, only once nobody holds it.
      const future = await instrumentId('ETH-FUT-A');
      expect((await changeStatus(future, 'expired')).body).toMatchObject({ statusCode: 409, code: 'NOT_YET_EXPIRED' });
      await harness.dataSource.query(
        `UPDATE instrument SET expires_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`,
        [[future, await instrumentId('ETH-FUT-A-4000-C'), await instrumentId('ETH-FUT-A-3000-P')]],
      );
      const alphaMain = await accountId('ALPHA', 'main');
      await harness.dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price) VALUES ($1, $2, -1.5, 3100)`,
        [alphaMain, future],
      );
      expect((await changeStatus(future, 'expired')).body).toMatchObject({ code: 'OPEN_POSITIONS' });
      await harness.dataSource.query(
        `UPDATE position SET quantity = 0, average_entry_price = NULL WHERE account_id = $1 AND instrument_id = $2`,
        [alphaMain, future],
      );
      const expired = await changeStatus(future, 'expired');
      expect(expired.body).toMatchObject({ symbol: 'ETH-FUT-A', status: 'expired' });
      expect((await changeStatus(future, 'active')).body).toMatchObject({ code: 'INVALID_TRANSITION' });
      expect((await changeStatus(future, 'delisted')).body).toMatchObject({ code: 'INVALID_TRANSITION' });

      // A delisted instrument past its expiry cannot come back.
      const call4000 = await instrumentId('ETH-FUT-A-4000-C');
      await harness.dataSource.query(`UPDATE instrument SET status = 'delisted' WHERE id = $1`, [call4000]);
      expect((await changeStatus(call4000, 'active')).body).toMatchObject({
        statusCode: 409,
        code: 'INSTRUMENT_ALREADY_EXPIRED',
      });
      expect((await changeStatus(call4000, 'expired')).body).toMatchObject({ status: 'expired' });

      const changes = (await auditRows(harness.dataSource, 'instrument.status-changed')).map((row) => [
        row.actor,
        row.subjectId,
        row.details['changes'],
        row.details['reason'],
      ]);
      expect(changes).toEqual([
        ['otto', spot, { status: { from: 'active', to: 'delisted' } }, 'test'],
        ['otto', spot, { status: { from: 'delisted', to: 'active' } }, 'test'],
        ['otto', future, { status: { from: 'active', to: 'expired' } }, 'test'],
        ['otto', call4000, { status: { from: 'delisted', to: 'expired' } }, 'test'],
      ]);
      const list = await call<Page<Instrument>>('GET', '/v1/instruments?status=expired', auditor);
      expect(list.body.items.map((item) => item.symbol)).toEqual(['ETH-FUT-A', 'ETH-FUT-A-4000-C']);
    });
  });

  describe('assets', () => {
    it('lists, creates and sets the price source, audited', async () => {
      const list = await call<Page<Record<string, unknown>>>('GET', '/v1/assets?limit=2', auditor);
      expect(list.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(list.body.items.map((item) => [item['code'], item['scale'], item['priceIndex']])).toEqual([
        ['BTC', 8, null],
        ['ETH', 8, null],
      ]);
      const created = await call('POST', '/v1/assets', operations, {
        code: 'SOL',
        name: 'Solana',
        scale: 9,
        priceIndex: 'SOL-USD',
        priceSource: 'demo-feed',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        code: 'SOL',
        name: 'Solana',
        scale: 9,
        priceIndex: 'SOL-USD',
        priceSource: 'demo-feed',
        createdAt: expect.any(String),
      });
      const set = await call('PUT', '/v1/assets/BTC/price-source', operations, {
        priceIndex: 'BTC-USD',
        priceSource: 'coinbase:btc-usd',
      });
      expect(set.body).toMatchObject({ code: 'BTC', scale: 8, priceIndex: 'BTC-USD', priceSource: 'coinbase:btc-usd' });
      const cleared = await call('PUT', '/v1/assets/SOL/price-source', operations, {
        priceIndex: null,
        priceSource: null,
      });
      expect(cleared.body).toMatchObject({ code: 'SOL', priceIndex: null, priceSource: null });
      expect((await call('GET', '/v1/assets/BTC', auditor)).body).toMatchObject({ priceIndex: 'BTC-USD' });
      expect(await auditRows(harness.dataSource, 'asset.price-source-set')).toEqual([
        {
          actor: 'otto',
          subjectType: 'asset',
          subjectId: 'BTC',
          details: {
            changes: {
              priceIndex: { from: null, to: 'BTC-USD' },
              priceSource: { from: null, to: 'coinbase:btc-usd' },
            },
          },
        },
        {
          actor: 'otto',
          subjectType: 'asset',
          subjectId: 'SOL',
          details: {
            changes: { priceIndex: { from: 'SOL-USD', to: null }, priceSource: { from: 'demo-feed', to: null } },
          },
        },
      ]);
      expect((await auditRows(harness.dataSource, 'asset.created')).map((row) => row.subjectId)).toEqual(['SOL']);
    });

    it('refuses bad assets with typed codes and changes nothing', async () => {
      const before = await snapshot(harness.dataSource);
      const cases: [string, string, unknown, number, string][] = [
        ['POST', '/v1/assets', { code: 'USDC', name: 'again', scale: 6 }, 409, 'ALREADY_EXISTS'],
        ['POST', '/v1/assets', { code: 'usdt', name: 'Tether', scale: 6 }, 400, 'INVALID_REQUEST'],
        ['POST', '/v1/assets', { code: 'USDT', name: 'Tether', scale: 19 }, 400, 'INVALID_REQUEST'],
        [
          'POST',
          '/v1/assets',
          { code: 'USDT', name: 'Tether', scale: 6, priceIndex: 'USDT-USD' },
          400,
          'INVALID_REQUEST',
        ],
        ['PUT', '/v1/assets/XYZ/price-source', { priceIndex: 'XYZ-USD', priceSource: 'f' }, 404, 'ASSET_NOT_FOUND'],
        ['PUT', '/v1/assets/btc/price-source', { priceIndex: 'BTC-USD', priceSource: 'f' }, 400, 'INVALID_REQUEST'],
        ['PUT', '/v1/assets/ETH/price-source', { priceIndex: null, priceSource: 'f' }, 400, 'INVALID_REQUEST'],
        ['GET', '/v1/assets/XYZ', undefined, 404, 'ASSET_NOT_FOUND'],
      ];
      for (const [method, path, body, status, code] of cases) {
        const token = method === 'GET' ? auditor : operations;
        const response = await call<ErrorBody>(method, path, token, body);
        expect({ path, body, status: response.status, code: response.body.code }).toEqual({ path, body, status, code });
      }
      expect(await snapshot(harness.dataSource)).toEqual(before);
    });
  });

  describe('member firms and accounts', () => {
    let deltaId: string;

    it('onboards a firm and opens cross, isolated and portfolio accounts', async () => {
      const onboarded = await call('POST', '/v1/member-firms', operations, {
        code: 'DELTA',
        name: 'Delta Derivatives AG',
      });
      expect(onboarded.status).toBe(201);
      expect(onboarded.body).toEqual({
        id: expect.any(String),
        code: 'DELTA',
        name: 'Delta Derivatives AG',
        status: 'active',
        createdAt: expect.any(String),
      });
      deltaId = onboarded.body['id'] as string;
      const btcPerp = await instrumentId('BTC-PERP');
      const accounts = [
        { code: 'main', kind: 'cross', settlementAsset: 'USDC' },
        { code: 'btc-isolated', kind: 'isolated', settlementAsset: 'USDC', isolatedInstrumentId: btcPerp },
        { code: 'options', kind: 'portfolio', settlementAsset: 'BTC' },
      ];
      for (const account of accounts) {
        const opened = await call('POST', `/v1/member-firms/${deltaId}/accounts`, operations, account);
        expect(opened.status).toBe(201);
        expect(opened.body).toEqual({
          id: expect.any(String),
          memberFirmId: deltaId,
          code: account.code,
          kind: account.kind,
          settlementAsset: account.settlementAsset,
          isolatedInstrumentId: account.isolatedInstrumentId ?? null,
          status: 'active',
          marginState: 'healthy',
          createdAt: expect.any(String),
        });
      }
      const page = await call<Page<{ code: string }>>('GET', `/v1/member-firms/${deltaId}/accounts?limit=2`, auditor);
      expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(page.body.items.map((item) => item.code)).toEqual(['btc-isolated', 'main']);
      const firms = await call<Page<{ code: string }>>('GET', '/v1/member-firms?status=active', auditor);
      expect(firms.body.items.map((item) => item.code)).toEqual(['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA']);
      expect((await call('GET', `/v1/member-firms/${deltaId}`, auditor)).body).toMatchObject({ code: 'DELTA' });
      expect((await auditRows(harness.dataSource, 'member-firm.onboarded')).map((row) => row.subjectId)).toEqual([
        deltaId,
      ]);
      expect(
        (await auditRows(harness.dataSource, 'account.opened')).map((row) => row.details['memberFirmCode']),
      ).toEqual(['DELTA', 'DELTA', 'DELTA']);
    });

    it('refuses bad onboarding and accounts with typed codes and changes nothing', async () => {
      const before = await snapshot(harness.dataSource);
      const btcUsdPerp = await instrumentId('BTC-USD-PERP');
      const cases: [string, unknown, number, string][] = [
        ['/v1/member-firms', { code: 'ALPHA', name: 'again' }, 409, 'ALREADY_EXISTS'],
        ['/v1/member-firms', { code: 'a', name: 'short' }, 400, 'INVALID_REQUEST'],
        [
          `/v1/member-firms/${deltaId}/accounts`,
          { code: 'main', kind: 'cross', settlementAsset: 'USDC' },
          409,
          'ALREADY_EXISTS',
        ],
        [
          `/v1/member-firms/${deltaId}/accounts`,
          { code: 'x', kind: 'house', settlementAsset: 'USDC' },
          400,
          'INVALID_REQUEST',
        ],
        [
          `/v1/member-firms/${deltaId}/accounts`,
          { code: 'x', kind: 'isolated', settlementAsset: 'USDC' },
          400,
          'INVALID_REQUEST',
        ],
        [
          `/v1/member-firms/${deltaId}/accounts`,
          { code: 'x', kind: 'isolated', settlementAsset: 'USDC', isolatedInstrumentId: btcUsdPerp },
          400,
          'INVALID_REQUEST',
        ],
        [
          `/v1/member-firms/${deltaId}/accounts`,
          { code: 'x', kind: 'isolated', settlementAsset: 'USDC', isolatedInstrumentId: MISSING_ID },
          404,
          'INSTRUMENT_NOT_FOUND',
        ],
        [
          `/v1/member-firms/${deltaId}/accounts`,
          { code: 'x', kind: 'cross', settlementAsset: 'XYZ' },
          404,
          'ASSET_NOT_FOUND',
        ],
        [
          `/v1/member-firms/${MISSING_ID}/accounts`,
          { code: 'x', kind: 'cross', settlementAsset: 'USDC' },
          404,
          'MEMBER_FIRM_NOT_FOUND',
        ],
        [`/v1/member-firms/${MISSING_ID}/suspend`, { reason: 'x' }, 404, 'MEMBER_FIRM_NOT_FOUND'],
        [`/v1/member-firms/${deltaId}/reactivate`, { reason: 'x' }, 409, 'INVALID_TRANSITION'],
        [`/v1/member-firms/${deltaId}/suspend`, {}, 400, 'INVALID_REQUEST'],
      ];
      for (const [path, body, status, code] of cases) {
        const response = await call<ErrorBody>('POST', path, operations, body);
        expect({ path, body, status: response.status, code: response.body.code }).toEqual({ path, body, status, code });
      }
      expect((await call<ErrorBody>('GET', `/v1/member-firms/${MISSING_ID}/accounts`, auditor)).body.code).toBe(
        'MEMBER_FIRM_NOT_FOUND',
      );
      expect(await snapshot(harness.dataSource)).toEqual(before);
    });

    it('suspends (accounts frozen), reactivates, then declares default: the accounts refuse new risk', async () => {
      const main = await accountId('DELTA', 'main');
      const ids = [main, await accountId('DELTA', 'btc-isolated'), await accountId('DELTA', 'options')].sort();
      const suspended = await call('POST', `/v1/member-firms/${deltaId}/suspend`, operations, {
        reason: 'late filing',
      });
      expect(suspended.body).toEqual({
        memberFirm: expect.objectContaining({ id: deltaId, status: 'suspended' }),
        accountIds: ids,
      });
      const accounts = async () =>
        (await call<Page<{ status: string }>>('GET', `/v1/member-firms/${deltaId}/accounts`, auditor)).body.items.map(
          (item) => item.status,
        );
      expect(await accounts()).toEqual(['frozen', 'frozen', 'frozen']);
      expect(
        (
          await call<ErrorBody>('POST', `/v1/member-firms/${deltaId}/accounts`, operations, {
            code: 'late',
            kind: 'cross',
            settlementAsset: 'USDC',
          })
        ).body,
      ).toMatchObject({ statusCode: 409, code: 'MEMBER_FIRM_NOT_ACTIVE' });
      expect(
        (await call<ErrorBody>('POST', `/v1/member-firms/${deltaId}/suspend`, operations, { reason: 'x' })).body.code,
      ).toBe('INVALID_TRANSITION');
      const reactivated = await call('POST', `/v1/member-firms/${deltaId}/reactivate`, operations, { reason: 'filed' });
      expect(reactivated.body).toEqual({
        memberFirm: expect.objectContaining({ status: 'active' }),
        accountIds: ids,
      });
      expect(await accounts()).toEqual(['active', 'active', 'active']);

      // Declaring a default is the risk officer's; operations is refused (and audited by the guard).
      expect(
        (await call<ErrorBody>('POST', `/v1/member-firms/${deltaId}/declare-default`, operations, { reason: 'x' }))
          .status,
      ).toBe(403);
      const defaulted = await call('POST', `/v1/member-firms/${deltaId}/declare-default`, officer, {
        reason: 'missed margin call',
      });
      expect(defaulted.status).toBe(200);
      expect(defaulted.body).toEqual({
        memberFirm: expect.objectContaining({ id: deltaId, status: 'defaulted' }),
        accountIds: ids,
      });
      expect(await accounts()).toEqual(['frozen', 'frozen', 'frozen']);
      for (const action of ['reactivate', 'suspend']) {
        expect(
          (await call<ErrorBody>('POST', `/v1/member-firms/${deltaId}/${action}`, operations, { reason: 'x' })).body
            .code,
        ).toBe('INVALID_TRANSITION');
      }
      expect(
        (await call<ErrorBody>('POST', `/v1/member-firms/${deltaId}/declare-default`, officer, { reason: 'x' })).body
          .code,
      ).toBe('INVALID_TRANSITION');
      expect(
        (await auditRows(harness.dataSource, 'member-firm.default-declared')).map((row) => ({
          actor: row.actor,
          subjectId: row.subjectId,
          details: row.details,
        })),
      ).toEqual([
        {
          actor: 'officer',
          subjectId: deltaId,
          details: {
            code: 'DELTA',
            reason: 'missed margin call',
            changes: { status: { from: 'active', to: 'defaulted' } },
            accounts: { ids, status: { from: 'active', to: 'frozen' } },
          },
        },
      ]);

      // New risk: the trade path refuses the defaulted firm's account; collateral comes in but not out.
      const now = Date.now();
      const trades = await submitTrades(harness.dataSource, {
        venueId,
        mode: 'per-trade',
        nowEpochMs: now,
        trades: [
          {
            venueId,
            tradeId: 'T-default-1',
            instrumentId: await instrumentId('BTC-PERP'),
            buyerAccountId: main,
            sellerAccountId: await accountId('ALPHA', 'main'),
            quantity: '0.1',
            price: '95000',
            buyerFee: '0',
            sellerFee: '0',
            executedAtEpochMs: now - 1_000,
          },
        ],
      });
      expect(trades.trades[0]).toMatchObject({
        status: 'rejected',
        error: { code: 'ACCOUNT_NOT_ALLOWED', field: 'buyerAccountId' },
      });
      await recordDeposit(harness.dataSource, {
        accountId: main,
        asset: 'USDC',
        amount: '1000',
        idempotencyKey: 'd:delta',
      });
      await expect(
        requestWithdrawal(harness.dataSource, {
          accountId: main,
          asset: 'USDC',
          amount: '10',
          idempotencyKey: 'w:delta',
          nowEpochMs: now,
        }),
      ).rejects.toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
    });
  });

  it('refuses every reference-data endpoint to wrong credentials and roles, changes nothing, audits each', async () => {
    const [{ id: alpha }] = (await harness.dataSource.query(`SELECT id FROM member_firm WHERE code = 'ALPHA'`)) as {
      id: string;
    }[];
    const btcPerp = await instrumentId('BTC-PERP');
    const endpoints: Endpoint[] = [
      { method: 'GET', path: '/v1/instruments', roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'GET', path: `/v1/instruments/${btcPerp}`, roles: ['risk-officer', 'operations', 'auditor'] },
      {
        method: 'POST',
        path: '/v1/instruments',
        roles: ['operations'],
        body: {
          symbol: 'NEVER-PERP',
          kind: 'perpetual',
          settlementType: 'linear',
          underlying: 'BTC-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '1',
        },
      },
      {
        method: 'POST',
        path: `/v1/instruments/${await instrumentId('ETH-USDC-SPOT')}/status`,
        roles: ['operations'],
        body: { status: 'delisted', reason: 'x' },
      },
      { method: 'GET', path: '/v1/assets', roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'GET', path: '/v1/assets/BTC', roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'POST', path: '/v1/assets', roles: ['operations'], body: { code: 'NEVER', name: 'n', scale: 2 } },
      {
        method: 'PUT',
        path: '/v1/assets/ETH/price-source',
        roles: ['operations'],
        body: { priceIndex: 'ETH-USD', priceSource: 'f' },
      },
      { method: 'GET', path: '/v1/member-firms', roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'GET', path: `/v1/member-firms/${alpha}`, roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'GET', path: `/v1/member-firms/${alpha}/accounts`, roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'POST', path: '/v1/member-firms', roles: ['operations'], body: { code: 'NEVER', name: 'n' } },
      {
        method: 'POST',
        path: `/v1/member-firms/${alpha}/accounts`,
        roles: ['operations'],
        body: { code: 'never', kind: 'cross', settlementAsset: 'USDC' },
      },
      { method: 'POST', path: `/v1/member-firms/${alpha}/suspend`, roles: ['operations'], body: { reason: 'x' } },
      { method: 'POST', path: `/v1/member-firms/${alpha}/reactivate`, roles: ['operations'], body: { reason: 'x' } },
      {
        method: 'POST',
        path: `/v1/member-firms/${alpha}/declare-default`,
        roles: ['risk-officer'],
        body: { reason: 'x' },
      },
    ];
    await expectAuthorizationMatrix(harness, endpoints);
    // The allowed roles read every GET endpoint.
    for (const endpoint of endpoints.filter((candidate) => candidate.method === 'GET')) {
      for (const token of [officer, operations, auditor]) {
        expect((await call('GET', endpoint.path, token)).status).toBe(200);
      }
    }
  });

  it('documents every route in the OpenAPI document', async () => {
    const response = await fetch(`${harness.baseUrl}/docs-json`);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/instruments',
        '/v1/instruments/{id}',
        '/v1/instruments/{id}/status',
        '/v1/assets',
        '/v1/assets/{code}/price-source',
        '/v1/member-firms',
        '/v1/member-firms/{id}/accounts',
        '/v1/member-firms/{id}/declare-default',
        '/v1/api-keys',
        '/v1/api-keys/{id}/rotate',
        '/v1/default-resources',
        '/v1/default-resources/insurance-fund/top-ups',
      ]),
    );
  });
});
