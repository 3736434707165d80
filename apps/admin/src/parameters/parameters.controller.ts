import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UsePipes,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
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
import { CreateParameterSetInput } from './dto/create-parameter-set.input.js';
import { DecisionInput } from './dto/decision.input.js';
import { ImpactInput } from './dto/impact.input.js';
import { ListParameterSetsInput } from './dto/list-parameter-sets.input.js';
import { RollbackInput } from './dto/rollback.input.js';
import { ScheduleParameterSetInput } from './dto/schedule-parameter-set.input.js';
import { ParameterSetDiffModel } from './models/parameter-set-diff.model.js';
import { ParameterSetImpactModel } from './models/parameter-set-impact.model.js';
import { ParameterSetErrorModel, ParameterSetModel, ParameterSetPageModel } from './models/parameter-set.model.js';
import { ParameterSetException, type FieldViolation } from './parameter-set.exception.js';
import { ParametersService } from './parameters.service.js';

/** Request fields validated by class-validator; every violation is answered as INVALID_REQUEST. */
const validation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors: ValidationError[]) =>
    new ParameterSetException('INVALID_REQUEST', 'invalid request', violationsOf(errors, '')),
});

const uuid = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () =>
    new ParameterSetException('INVALID_REQUEST', 'id must be a UUID', [{ field: 'id', message: 'must be a UUID' }]),
});

@ApiTags('parameter-sets')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ParameterSetErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ParameterSetErrorModel, description: 'FORBIDDEN_ROLE or FOUR_EYES_VIOLATION.' })
@ApiBadRequestResponse({ type: ParameterSetErrorModel, description: 'INVALID_REQUEST or INVALID_PARAMETER_SET.' })
@Controller('v1/parameter-sets')
@UsePipes(validation)
export class ParametersController {
  constructor(private readonly parameters: ParametersService) {}

  @Post()
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Create a draft parameter set; every schema and bound violation is listed.' })
  @ApiCreatedResponse({ type: ParameterSetModel })
  @ApiConflictResponse({ type: ParameterSetErrorModel, description: 'VERSION_TAKEN.' })
  create(@CurrentAdmin() admin: AdminPrincipal, @Body() input: CreateParameterSetInput): Promise<ParameterSetModel> {
    return this.parameters.create(admin, input, Date.now());
  }

  @Get()
  @AdminRoles()
  @ApiOperation({ summary: 'Parameter sets, newest first (paginated).' })
  @ApiOkResponse({ type: ParameterSetPageModel })
  list(@Query() input: ListParameterSetsInput): Promise<ParameterSetPageModel> {
    return this.parameters.list(input, Date.now());
  }

  @Post('rollback')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Withdraw the set in effect (superseded); the previous one is in effect again at once.' })
  @ApiOkResponse({ type: ParameterSetModel, description: 'The reinstated set.' })
  @ApiConflictResponse({ type: ParameterSetErrorModel, description: 'NOTHING_TO_ROLL_BACK or ROLLBACK_CONFLICT.' })
  rollback(@CurrentAdmin() admin: AdminPrincipal, @Body() input: RollbackInput): Promise<ParameterSetModel> {
    return this.parameters.rollback(admin, input, Date.now());
  }

  @Get(':id')
  @AdminRoles()
  @ApiOperation({ summary: 'One parameter set.' })
  @ApiOkResponse({ type: ParameterSetModel })
  @ApiNotFoundResponse({ type: ParameterSetErrorModel })
  get(@Param('id', uuid) id: string): Promise<ParameterSetModel> {
    return this.parameters.get(id, Date.now());
  }

  @Get(':id/diff')
  @AdminRoles()
  @ApiOperation({ summary: 'Changed paths against the set in effect, with old and new values.' })
  @ApiOkResponse({ type: ParameterSetDiffModel })
  @ApiNotFoundResponse({ type: ParameterSetErrorModel })
  diff(@Param('id', uuid) id: string): Promise<ParameterSetDiffModel> {
    return this.parameters.diff(id, Date.now());
  }

  @Post(':id/propose')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Propose a draft for approval (records the proposer).' })
  @ApiOkResponse({ type: ParameterSetModel })
  @ApiConflictResponse({ type: ParameterSetErrorModel, description: 'INVALID_TRANSITION.' })
  propose(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuid) id: string,
    @Body() input: DecisionInput,
  ): Promise<ParameterSetModel> {
    return this.parameters.propose(admin, id, input.comment, Date.now());
  }

  @Post(':id/approve')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Approve a proposed set; the approver must not be the proposer (FOUR_EYES_VIOLATION).' })
  @ApiOkResponse({ type: ParameterSetModel })
  @ApiConflictResponse({ type: ParameterSetErrorModel, description: 'INVALID_TRANSITION.' })
  approve(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuid) id: string,
    @Body() input: DecisionInput,
  ): Promise<ParameterSetModel> {
    return this.parameters.approve(admin, id, input.comment, Date.now());
  }

  @Post(':id/reject')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Reject a draft or proposed set.' })
  @ApiOkResponse({ type: ParameterSetModel })
  @ApiConflictResponse({ type: ParameterSetErrorModel, description: 'INVALID_TRANSITION.' })
  reject(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuid) id: string,
    @Body() input: DecisionInput,
  ): Promise<ParameterSetModel> {
    return this.parameters.reject(admin, id, input.comment, Date.now());
  }

  @Post(':id/schedule')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({
    summary:
      'Set when an approved set takes effect (in effect once effectiveFrom <= now), optionally phased in linearly.',
  })
  @ApiOkResponse({ type: ParameterSetModel })
  @ApiConflictResponse({
    type: ParameterSetErrorModel,
    description: 'INVALID_TRANSITION, PHASE_IN_STRUCTURE_MISMATCH (field by field) or PHASE_IN_CONFLICT.',
  })
  schedule(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuid) id: string,
    @Body() input: ScheduleParameterSetInput,
  ): Promise<ParameterSetModel> {
    return this.parameters.schedule(admin, id, input, Date.now());
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({
    summary:
      'Cancel the schedule (and phase-in) of a set before it takes effect; it is approved and unscheduled again.',
  })
  @ApiOkResponse({ type: ParameterSetModel })
  @ApiConflictResponse({
    type: ParameterSetErrorModel,
    description: 'ALREADY_IN_EFFECT (roll back instead), INVALID_TRANSITION (not scheduled) or PHASE_IN_CONFLICT.',
  })
  cancel(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuid) id: string,
    @Body() input: DecisionInput,
  ): Promise<ParameterSetModel> {
    return this.parameters.cancel(admin, id, input.comment, Date.now());
  }

  @Post(':id/impact')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'IM and MM of member accounts under this set vs the set in effect (one page).' })
  @ApiOkResponse({ type: ParameterSetImpactModel })
  @ApiNotFoundResponse({ type: ParameterSetErrorModel })
  impact(@Param('id', uuid) id: string, @Body() input: ImpactInput): Promise<ParameterSetImpactModel> {
    return this.parameters.impact(id, input, Date.now());
  }
}

function violationsOf(errors: readonly ValidationError[], prefix: string): FieldViolation[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...violationsOf(error.children ?? [], field)];
  });
}
