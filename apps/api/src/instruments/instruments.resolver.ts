import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import type { Page } from '../common/pagination/connection.model.js';
import { InstrumentArgs, InstrumentsArgs, MarketDataArgs } from './dto/instruments.args.js';
import { InstrumentsService } from './instruments.service.js';
import { Instrument, InstrumentConnection } from './models/instrument.model.js';
import { MarketData } from './models/market-data.model.js';

/** Public reference data: any authenticated role may read it; nothing here depends on the caller. */
@Resolver(() => Instrument)
export class InstrumentsResolver {
  constructor(private readonly instrumentsService: InstrumentsService) {}

  @Roles('member', 'venue', 'custody', 'admin')
  @Query(() => InstrumentConnection, { description: 'Cleared instruments by symbol, optionally filtered.' })
  instruments(@Args(argsValidationPipe) args: InstrumentsArgs): Promise<Page<Instrument>> {
    return this.instrumentsService.instruments(
      { underlying: args.underlying ?? null, kind: args.kind ?? null, status: args.status ?? null },
      { first: args.first, after: args.after ?? null },
    );
  }

  @Roles('member', 'venue', 'custody', 'admin')
  @Query(() => Instrument, { description: 'One instrument; an unknown id is NOT_FOUND.' })
  instrument(@Args(argsValidationPipe) args: InstrumentArgs): Promise<Instrument> {
    return this.instrumentsService.instrument(args.id, 'id');
  }

  @Roles('member', 'venue', 'custody', 'admin')
  @Query(() => MarketData, { description: 'Latest market data of one instrument; an unknown id is NOT_FOUND.' })
  marketData(
    @Args(argsValidationPipe) args: MarketDataArgs,
    @Context() context: ApiGraphqlContext,
  ): Promise<MarketData> {
    return this.instrumentsService.marketDataOf(context, args.instrumentId);
  }

  @ResolveField('marketData', () => MarketData, {
    description: 'Latest mark, implied vol and index price; batched over a page of instruments.',
  })
  instrumentMarketData(@Parent() instrument: Instrument, @Context() context: ApiGraphqlContext): Promise<MarketData> {
    return this.instrumentsService.marketData(context, instrument);
  }
}
