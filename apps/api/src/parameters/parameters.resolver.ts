import { Query, Resolver } from '@nestjs/graphql';
import { Roles } from '../auth/roles.decorator.js';
import { API_ERROR_CODES, ErrorCode, type ApiErrorCode } from '../common/error-code.js';
import { RiskParameterSet } from './models/risk-parameter-set.model.js';
import { ParametersService } from './parameters.service.js';

/** The rules members are margined by: the parameter set in force and the error codes of this API. */
@Resolver()
export class ParametersResolver {
  constructor(private readonly parameters: ParametersService) {}

  @Roles('member', 'venue', 'custody', 'admin')
  @Query(() => RiskParameterSet, {
    nullable: true,
    description: 'The risk parameter set in force now (never a draft or proposal); null when none is.',
  })
  riskParameters(): Promise<RiskParameterSet | null> {
    return this.parameters.activeRiskParameters(Date.now());
  }

  @Query(() => [ErrorCode], {
    description: 'Every value `extensions.code` can take, for client code generation. Needs no API key.',
  })
  errorCodes(): readonly ApiErrorCode[] {
    return API_ERROR_CODES;
  }
}
