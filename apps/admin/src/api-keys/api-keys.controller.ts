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
import { ReferenceDataErrorModel } from '../reference/models/error.model.js';
import { requestValidation, uuidParam } from '../reference/request-validation.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyDecisionInput, IssueApiKeyInput, ListApiKeysInput } from './dto/api-key.input.js';
import { ApiKeyModel, ApiKeyPageModel, IssuedApiKeyModel, RotatedApiKeyModel } from './models/api-key.model.js';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ReferenceDataErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ReferenceDataErrorModel, description: 'FORBIDDEN_ROLE.' })
@ApiBadRequestResponse({ type: ReferenceDataErrorModel, description: 'INVALID_REQUEST or INVALID_API_KEY_REQUEST.' })
@Controller('v1/api-keys')
@UsePipes(requestValidation)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @AdminRoles()
  @ApiOperation({ summary: 'API keys, newest first, filtered by role, firm, venue and state (never a secret).' })
  @ApiOkResponse({ type: ApiKeyPageModel })
  list(@Query() input: ListApiKeysInput): Promise<ApiKeyPageModel> {
    return this.apiKeys.list(input, Date.now());
  }

  @Post()
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Issue a member, venue or custody key; the secret is in this response only.' })
  @ApiCreatedResponse({ type: IssuedApiKeyModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'MEMBER_FIRM_NOT_FOUND or VENUE_NOT_FOUND.' })
  issue(@CurrentAdmin() admin: AdminPrincipal, @Body() input: IssueApiKeyInput): Promise<IssuedApiKeyModel> {
    return this.apiKeys.issue(admin, input, Date.now());
  }

  @Get(':id')
  @AdminRoles()
  @ApiOperation({ summary: 'One API key (never its secret).' })
  @ApiOkResponse({ type: ApiKeyModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'API_KEY_NOT_FOUND.' })
  get(@Param('id', uuidParam) id: string): Promise<ApiKeyModel> {
    return this.apiKeys.get(id, Date.now());
  }

  @Post(':id/rotate')
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Issue a new key with the same role, scope, label and expiry; revoke this one (atomic).' })
  @ApiCreatedResponse({ type: RotatedApiKeyModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'API_KEY_NOT_FOUND.' })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'API_KEY_NOT_ACTIVE (revoked or expired).' })
  rotate(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: ApiKeyDecisionInput,
  ): Promise<RotatedApiKeyModel> {
    return this.apiKeys.rotate(admin, id, input.reason, Date.now());
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Revoke a key at once (idempotent: revoking a revoked key changes nothing).' })
  @ApiOkResponse({ type: ApiKeyModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'API_KEY_NOT_FOUND.' })
  revoke(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', uuidParam) id: string,
    @Body() input: ApiKeyDecisionInput,
  ): Promise<ApiKeyModel> {
    return this.apiKeys.revoke(admin, id, input.reason, Date.now());
  }
}
