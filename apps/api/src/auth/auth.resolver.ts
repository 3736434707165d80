import { Query, Resolver } from '@nestjs/graphql';
import { ApiKeyService } from './api-key.service.js';
import { Me } from './models/me.model.js';
import type { Principal } from './principal.js';
import { CurrentPrincipal, Roles } from './roles.decorator.js';

@Resolver()
export class AuthResolver {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Roles('member')
  @Query(() => Me, { description: 'The calling member firm and API key.' })
  me(@CurrentPrincipal() principal: Principal): Promise<Me> {
    return this.apiKeys.me(principal);
  }
}
