import { Module } from '@nestjs/common';
import { ReadModelService } from './read-model.service.js';

/** The API's notification-kept caches: one ReadModelService (one LISTEN connection) per API process. */
@Module({
  providers: [ReadModelService],
  exports: [ReadModelService],
})
export class ReadModelModule {}
