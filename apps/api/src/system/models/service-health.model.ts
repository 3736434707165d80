import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum DependencyStatus {
  UP = 'up',
  DOWN = 'down',
}
registerEnumType(DependencyStatus, {
  name: 'DependencyStatus',
  description: 'Whether a dependency answered its probe.',
});

@ObjectType({ description: 'Readiness of the API and the services it depends on.' })
export class ServiceHealth {
  @Field(() => DependencyStatus, { description: 'UP when every dependency is up.' })
  status!: DependencyStatus;

  @Field(() => DependencyStatus, { description: 'PostgreSQL, probed with a query.' })
  database!: DependencyStatus;

  @Field(() => DependencyStatus, { description: 'Redis, probed with PING.' })
  redis!: DependencyStatus;
}
