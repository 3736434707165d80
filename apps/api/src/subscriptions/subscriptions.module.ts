import { Module } from '@nestjs/common';
import { AccountEventPublisher } from './account-event.publisher.js';
import { AccountEventsResolver } from './account-events.resolver.js';
import { AccountEventsService } from './account-events.service.js';

@Module({ providers: [AccountEventPublisher, AccountEventsService, AccountEventsResolver] })
export class SubscriptionsModule {}
