import { Module } from '@nestjs/common';
import { StatementLoaderFactory } from './statement.loader.js';
import { StatementsResolver } from './statements.resolver.js';
import { StatementsService } from './statements.service.js';

@Module({ providers: [StatementsService, StatementsResolver, StatementLoaderFactory] })
export class StatementsModule {}
