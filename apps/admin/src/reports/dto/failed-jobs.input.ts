import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { ReportPageInput } from './report-format.input.js';

export class FailedJobsInput extends ReportPageInput {
  @ApiPropertyOptional({ description: 'One queue of QueueName (e.g. margin); all queues when absent.' })
  @IsOptional()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'queue must be a queue name' })
  queue?: string;
}
