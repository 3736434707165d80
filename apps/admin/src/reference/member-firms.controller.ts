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
import {
  ListMemberFirmsInput,
  MemberFirmDecisionInput,
  OnboardMemberFirmInput,
  OpenAccountInput,
} from './dto/member-firm.input.js';
import { PageInput } from './dto/page.input.js';
import { MemberFirmsService } from './member-firms.service.js';
import { ReferenceDataErrorModel } from './models/error.model.js';
import {
  AccountModel,
  AccountPageModel,
  MemberFirmModel,
  MemberFirmPageModel,
  MemberFirmStatusChangeModel,
} from './models/member-firm.model.js';
import { requestValidation, uuidParam } from './request-validation.js';

@ApiTags('member-firms')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ReferenceDataErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ReferenceDataErrorModel, description: 'FORBIDDEN_ROLE.' })
@ApiBadRequestResponse({ type: ReferenceDataErrorModel, description: 'INVALID_REQUEST.' })
@Controller('v1/member-firms')
@UsePipes(requestValidation)
export class MemberFirmsController {
  constructor(private readonly memberFirms: MemberFirmsService) {}

  @Get()
  @AdminRoles()
  @ApiOperation({ summary: 'Member firms by code, filtered by status (paginated).' })
  @ApiOkResponse({ type: MemberFirmPageModel })
  list(@Query() input: ListMemberFirmsInput): Promise<MemberFirmPageModel> {
    return this.memberFirms.list(input);
  }

  @Post()
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Onboard a member firm (status active, no accounts yet).' })
  @ApiCreatedResponse({ type: MemberFirmModel })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'ALREADY_EXISTS.' })
  onboard(@CurrentAdmin() admin: AdminPrincipal, @Body() input: OnboardMemberFirmInput): Promise<MemberFirmModel> {
    return this.memberFirms.onboard(admin, input);
  }

  @Get(':id')
  @AdminRoles()
  @ApiOperation({ summary: 'One member firm.' })
  @ApiOkResponse({ type: MemberFirmModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND.' })
  get(@Param('id', uuidParam) id: string): Promise<MemberFirmModel> {
    return this.memberFirms.get(id);
  }

  @Get(':id/accounts')
  @AdminRoles()
  @ApiOperation({ summary: "The firm's accounts by code (paginated)." })
  @ApiOkResponse({ type: AccountPageModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND.' })
  listAccounts(@Param('id', uuidParam) id: string, @Query() input: PageInput): Promise<AccountPageModel> {
    return this.memberFirms.listAccounts(id, input);
  }

  @Post(':id/accounts')
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Open a cross, isolated or portfolio account for an active firm.' })
  @ApiCreatedResponse({ type: AccountModel })
  @ApiNotFoundResponse({
    type: ReferenceDataErrorModel,
    description: 'MEMBER_FIRM_NOT_FOUND, ASSET_NOT_FOUND, INSTRUMENT_NOT_FOUND.',
  })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'ALREADY_EXISTS or MEMBER_FIRM_NOT_ACTIVE.' })
  openAccount(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: OpenAccountInput,
  ): Promise<AccountModel> {
    return this.memberFirms.openAccount(admin, id, input);
  }

  @Post(':id/suspend')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Suspend an active firm: its active accounts are frozen (no new risk, no payouts).' })
  @ApiOkResponse({ type: MemberFirmStatusChangeModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND.' })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'INVALID_TRANSITION.' })
  suspend(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: MemberFirmDecisionInput,
  ): Promise<MemberFirmStatusChangeModel> {
    return this.memberFirms.suspend(admin, id, input.reason);
  }

  @Post(':id/reactivate')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Reactivate a suspended firm: its frozen accounts are active again.' })
  @ApiOkResponse({ type: MemberFirmStatusChangeModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND.' })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'INVALID_TRANSITION.' })
  reactivate(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: MemberFirmDecisionInput,
  ): Promise<MemberFirmStatusChangeModel> {
    return this.memberFirms.reactivate(admin, id, input.reason);
  }

  @Post(':id/declare-default')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Declare an active or suspended firm in default (final); its accounts are frozen.' })
  @ApiOkResponse({ type: MemberFirmStatusChangeModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND.' })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'INVALID_TRANSITION.' })
  declareDefault(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: MemberFirmDecisionInput,
  ): Promise<MemberFirmStatusChangeModel> {
    return this.memberFirms.declareDefault(admin, id, input.reason);
  }
}
