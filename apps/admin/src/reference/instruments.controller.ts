import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, UsePipes } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { AdminRoles, CurrentAdmin } from '../auth/admin-roles.decorator.js';
import { ChangeInstrumentStatusInput, CreateInstrumentInput, ListInstrumentsInput } from './dto/instrument.input.js';
import { InstrumentsService } from './instruments.service.js';
import { ReferenceDataErrorModel } from './models/error.model.js';
import { InstrumentModel, InstrumentPageModel } from './models/instrument.model.js';
import { requestValidation, uuidParam } from './request-validation.js';

@ApiTags('instruments')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ReferenceDataErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ReferenceDataErrorModel, description: 'FORBIDDEN_ROLE.' })
@ApiBadRequestResponse({
  type: ReferenceDataErrorModel,
  description: 'INVALID_REQUEST, INVALID_INSTRUMENT, INVALID_AMOUNT.',
})
@Controller('v1/instruments')
@UsePipes(requestValidation)
export class InstrumentsController {
  constructor(private readonly instruments: InstrumentsService) {}

  @Get()
  @AdminRoles()
  @ApiOperation({ summary: 'Instruments by symbol, filtered by underlying, kind and status (paginated).' })
  @ApiOkResponse({ type: InstrumentPageModel })
  list(@Query() input: ListInstrumentsInput): Promise<InstrumentPageModel> {
    return this.instruments.list(input);
  }

  @Post()
  @AdminRoles('operations')
  @ApiOperation({ summary: 'List a new instrument (spot, perpetual, future or option).' })
  @ApiCreatedResponse({ type: InstrumentModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'ASSET_NOT_FOUND or VENUE_NOT_FOUND.' })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'ALREADY_EXISTS or INSTRUMENT_ALREADY_EXPIRED.' })
  create(@CurrentAdmin() admin: AdminPrincipal, @Body() input: CreateInstrumentInput): Promise<InstrumentModel> {
    return this.instruments.create(admin, input, Date.now());
  }

  @Get(':id')
  @AdminRoles()
  @ApiOperation({ summary: 'One instrument.' })
  @ApiOkResponse({ type: InstrumentModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'INSTRUMENT_NOT_FOUND.' })
  get(@Param('id', uuidParam) id: string): Promise<InstrumentModel> {
    return this.instruments.get(id);
  }

  @Post(':id/status')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('operations')
  @ApiOperation({
    summary: 'Delist (active -> delisted), relist (delisted -> active) or expire a dated instrument past expiry.',
  })
  @ApiOkResponse({ type: InstrumentModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'INSTRUMENT_NOT_FOUND.' })
  @ApiConflictResponse({
    type: ReferenceDataErrorModel,
    description: 'INVALID_TRANSITION, OPEN_POSITIONS, NOT_YET_EXPIRED or INSTRUMENT_ALREADY_EXPIRED.',
  })
  changeStatus(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: ChangeInstrumentStatusInput,
  ): Promise<InstrumentModel> {
    return this.instruments.changeStatus(admin, id, input, Date.now());
  }
}
