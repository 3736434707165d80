import { ApiProperty } from '@nestjs/swagger';

export class FailedJobModel {
  @ApiProperty()
  queue!: string;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  failedReason!: string | null;

  @ApiProperty()
  attemptsMade!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data!: unknown;
}

export class FailedJobPageModel {
  @ApiProperty({ type: [FailedJobModel] })
  items!: FailedJobModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;

  @ApiProperty({ type: [String], description: 'The queues read (every QueueName unless filtered).' })
  queues!: string[];
}

export class FailedOutboxEventModel {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  kind!: string;

  @ApiProperty()
  dedupeKey!: string;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  payload!: unknown;
}

export class FailedOutboxEventPageModel {
  @ApiProperty({ type: [FailedOutboxEventModel] })
  items!: FailedOutboxEventModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}
