import { Body, Controller, Get, Param, Post, Put, Query, UsePipes } from '@nestjs/common';
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
import { PageInput } from '../reference/dto/page.input.js';
import { ReferenceDataErrorModel } from '../reference/models/error.model.js';
import { requestValidation, uuidParam } from '../reference/request-validation.js';
import { DefaultResourcesService } from './default-resources.service.js';
import {
  DefaultFundContributionInput,
  InsuranceFundTopUpInput,
  SetDefaultFundRequirementInput,
} from './dto/default-resources.input.js';
import {
  DefaultFundRequirementModel,
  DefaultResourcesModel,
  FundMovementModel,
  MemberDefaultFundPageModel,
} from './models/default-resources.model.js';

@ApiTags('default-resources')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ReferenceDataErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ReferenceDataErrorModel, description: 'FORBIDDEN_ROLE.' })
@ApiBadRequestResponse({ type: ReferenceDataErrorModel, description: 'INVALID_REQUEST or INVALID_AMOUNT.' })
@Controller('v1/default-resources')
@UsePipes(requestValidation)
export class DefaultResourcesController {
  constructor(private readonly resources: DefaultResourcesService) {}

  @Get()
  @AdminRoles()
  @ApiOperation({ summary: 'Insurance fund, default fund and CCP capital balances per asset, from postings.' })
  @ApiOkResponse({ type: DefaultResourcesModel })
  get(): Promise<DefaultResourcesModel> {
    return this.resources.resources();
  }

  @Get('default-fund/members')
  @AdminRoles()
  @ApiOperation({ summary: "Each member's default-fund contribution against its requirement (paginated)." })
  @ApiOkResponse({ type: MemberDefaultFundPageModel })
  members(@Query() input: PageInput): Promise<MemberDefaultFundPageModel> {
    return this.resources.memberContributions(input);
  }

  @Put('default-fund/requirements/:memberFirmId')
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: "Set a member's default-fund requirement in one asset." })
  @ApiOkResponse({ type: DefaultFundRequirementModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND or ASSET_NOT_FOUND.' })
  setRequirement(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('memberFirmId', uuidParam) memberFirmId: string,
    @Body() input: SetDefaultFundRequirementInput,
  ): Promise<DefaultFundRequirementModel> {
    return this.resources.setRequirement(admin, memberFirmId, input);
  }

  @Post('insurance-fund/top-ups')
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: 'Top up the insurance fund from custody or CCP capital (one ledger entry, idempotent).' })
  @ApiCreatedResponse({ type: FundMovementModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'ASSET_NOT_FOUND.' })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'IDEMPOTENCY_CONFLICT or INSUFFICIENT_FUNDS.' })
  topUpInsuranceFund(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() input: InsuranceFundTopUpInput,
  ): Promise<FundMovementModel> {
    return this.resources.topUpInsuranceFund(admin, input);
  }

  @Post('default-fund/contributions')
  @AdminRoles('risk-officer')
  @ApiOperation({ summary: "Record a member's default-fund contribution received in custody (idempotent)." })
  @ApiCreatedResponse({ type: FundMovementModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND or ASSET_NOT_FOUND.' })
  @ApiConflictResponse({
    type: ReferenceDataErrorModel,
    description: 'IDEMPOTENCY_CONFLICT or MEMBER_FIRM_NOT_ACTIVE.',
  })
  contribute(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() input: DefaultFundContributionInput,
  ): Promise<FundMovementModel> {
    return this.resources.contributeToDefaultFund(admin, input);
  }
}
