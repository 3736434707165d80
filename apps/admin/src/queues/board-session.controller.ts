import { Controller, HttpCode, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { NovationConfig } from '@novation/config';
import { NOVATION_CONFIG } from '@novation/platform';
import type { FastifyReply } from 'fastify';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { AdminRoles, CurrentAdmin } from '../auth/admin-roles.decorator.js';
import { issueAdminToken } from '../auth/admin-token.js';
import { BOARD_BASE_PATH, BOARD_SESSION_COOKIE, BOARD_SESSION_TTL_SECONDS } from './board-auth.js';

/**
 * How a browser opens the board: it cannot send a bearer header on navigation, so an authenticated POST
 * trades the caller's token for a fresh one of at most 15 minutes (same subject and roles) in an
 * HttpOnly, SameSite=Strict cookie scoped to /queues. SameSite=Strict keeps other sites from riding it.
 */
@ApiTags('queues')
@ApiBearerAuth()
@Controller('queues/session')
export class BoardSessionController {
  constructor(@Inject(NOVATION_CONFIG) private readonly config: NovationConfig) {}

  @Post()
  @HttpCode(HttpStatus.NO_CONTENT)
  @AdminRoles()
  @ApiOperation({ summary: 'Open a Bull Board session: sets a short-lived cookie for /queues.' })
  @ApiNoContentResponse({ description: 'Cookie set; open /queues in the same browser.' })
  @ApiUnauthorizedResponse({ description: 'No valid admin token.' })
  async open(@CurrentAdmin() admin: AdminPrincipal, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const ttlSeconds = Math.min(BOARD_SESSION_TTL_SECONDS, this.config.adminToken.ttlMaxSeconds);
    const token = await issueAdminToken(this.config.adminToken, {
      subject: admin.subject,
      roles: admin.roles,
      ttlSeconds,
      nowEpochMs: Date.now(),
    });
    const secure = this.config.environmentName === 'production' ? '; Secure' : '';
    void reply.header(
      'set-cookie',
      `${BOARD_SESSION_COOKIE}=${token}; Path=${BOARD_BASE_PATH}; Max-Age=${ttlSeconds}; HttpOnly; SameSite=Strict${secure}`,
    );
  }
}
