import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NovationConfig } from '@novation/config';
import { NOVATION_CONFIG } from '@novation/platform';
import type { FastifyInstance } from 'fastify';
import { AuditModule } from '../audit/audit.module.js';
import { AuditService } from '../audit/audit.service.js';
import { BOARD_BASE_PATH, boardAuthHook } from './board-auth.js';
import { BoardSessionController } from './board-session.controller.js';
import { QueueRegistry } from './queue-registry.js';

/** Bull Board at /queues over every queue of QueueName, behind the admin token (see board-auth.ts). */
@Module({
  imports: [AuditModule],
  controllers: [BoardSessionController],
  providers: [QueueRegistry],
  exports: [QueueRegistry],
})
export class QueuesModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly registry: QueueRegistry,
    private readonly audit: AuditService,
    @Inject(NOVATION_CONFIG) private readonly config: NovationConfig,
  ) {}

  /** Runs before the server is ready, so the plugin is registered in time. */
  onModuleInit(): void {
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BOARD_BASE_PATH);
    createBullBoard({
      queues: this.registry.all().map((queue) => new BullMQAdapter(queue)),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Novation queues' } },
    });
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const hook = boardAuthHook(this.config, this.audit);
    // An encapsulated scope: the hook guards the board's routes and nothing else.
    void fastify.register(
      async (scope) => {
        scope.addHook('onRequest', hook);
        await scope.register(serverAdapter.registerPlugin());
      },
      { prefix: BOARD_BASE_PATH },
    );
  }
}
