import { Args, Mutation, Resolver } from '@nestjs/graphql';
import type { DepositOutcome, TransferOutcome, WithdrawalOutcome } from '@novation/persistence';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import { CollateralService } from './collateral.service.js';
import { RecordDepositInput, RequestWithdrawalInput, TransferCollateralInput } from './dto/collateral.input.js';
import { DepositResult, TransferResult, WithdrawalResult } from './models/collateral-outcome.model.js';

@Resolver()
export class CollateralResolver {
  constructor(private readonly collateral: CollateralService) {}

  @Roles('custody')
  @Mutation(() => DepositResult, { description: 'Credits a member account with collateral received in custody.' })
  recordDeposit(@Args('input', argsValidationPipe) input: RecordDepositInput): Promise<DepositOutcome> {
    return this.collateral.recordDeposit(input);
  }

  @Roles('member')
  @Mutation(() => WithdrawalResult, {
    description: "Pays collateral out of one of the caller's accounts, if it still covers initial margin after.",
  })
  requestWithdrawal(
    @CurrentPrincipal() principal: Principal,
    @Args('input', argsValidationPipe) input: RequestWithdrawalInput,
  ): Promise<WithdrawalOutcome> {
    return this.collateral.requestWithdrawal(principal, input, Date.now());
  }

  @Roles('member')
  @Mutation(() => TransferResult, { description: "Moves collateral between two of the caller's accounts." })
  transferCollateral(
    @CurrentPrincipal() principal: Principal,
    @Args('input', argsValidationPipe) input: TransferCollateralInput,
  ): Promise<TransferOutcome> {
    return this.collateral.transferCollateral(principal, input, Date.now());
  }
}
