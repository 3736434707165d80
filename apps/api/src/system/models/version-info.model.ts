import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'What is answering: the service, its release and its environment.' })
export class VersionInfo {
  @Field(() => String, { description: 'Service name, always "api" here.' })
  service!: string;

  @Field(() => String, { description: 'Novation release (semantic version).' })
  version!: string;

  @Field(() => String, { description: 'Deployment environment: development, test or production.' })
  environment!: string;
}
