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
import { AssetsService } from './assets.service.js';
import { CreateAssetInput, SetPriceSourceInput } from './dto/asset.input.js';
import { PageInput } from './dto/page.input.js';
import { AssetCodePipe } from './asset-code.pipe.js';
import { AssetModel, AssetPageModel } from './models/asset.model.js';
import { ReferenceDataErrorModel } from './models/error.model.js';
import { requestValidation } from './request-validation.js';

@ApiTags('assets')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ReferenceDataErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ReferenceDataErrorModel, description: 'FORBIDDEN_ROLE.' })
@ApiBadRequestResponse({ type: ReferenceDataErrorModel, description: 'INVALID_REQUEST.' })
@Controller('v1/assets')
@UsePipes(requestValidation)
export class AssetsController {
  constructor(private readonly assets: AssetsService) {}

  @Get()
  @AdminRoles()
  @ApiOperation({ summary: 'Assets by code (paginated).' })
  @ApiOkResponse({ type: AssetPageModel })
  list(@Query() input: PageInput): Promise<AssetPageModel> {
    return this.assets.list(input);
  }

  @Post()
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Create an asset: code, name, scale (precision), optional price index and feed.' })
  @ApiCreatedResponse({ type: AssetModel })
  @ApiConflictResponse({ type: ReferenceDataErrorModel, description: 'ALREADY_EXISTS.' })
  create(@CurrentAdmin() admin: AdminPrincipal, @Body() input: CreateAssetInput): Promise<AssetModel> {
    return this.assets.create(admin, input);
  }

  @Get(':code')
  @AdminRoles()
  @ApiOperation({ summary: 'One asset.' })
  @ApiOkResponse({ type: AssetModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'ASSET_NOT_FOUND.' })
  get(@Param('code', AssetCodePipe) code: string): Promise<AssetModel> {
    return this.assets.get(code);
  }

  @Put(':code/price-source')
  @AdminRoles('operations')
  @ApiOperation({ summary: 'Set (or clear, with nulls) the index and feed that price the asset.' })
  @ApiOkResponse({ type: AssetModel })
  @ApiNotFoundResponse({ type: ReferenceDataErrorModel, description: 'ASSET_NOT_FOUND.' })
  setPriceSource(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('code', AssetCodePipe) code: string,
    @Body() input: SetPriceSourceInput,
  ): Promise<AssetModel> {
    return this.assets.setPriceSource(admin, code, input);
  }
}
