import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { NOVATION_VERSION, type NovationConfig } from '@novation/config';
import { createFastifyApp } from '@novation/platform';
import { AdminModule } from './admin.module.js';

/** Swagger UI at /docs, the OpenAPI document at /docs-json. */
export async function createAdminApp(config: NovationConfig): Promise<NestFastifyApplication> {
  const app = await createFastifyApp(AdminModule.register(config));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Novation admin')
      .setDescription('Risk parameters, instruments, members, keys, default resources and reports.')
      .setVersion(NOVATION_VERSION)
      // Admin endpoints take a signed admin token: `Authorization: Bearer <jwt>` (npm run admin-token).
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
  return app;
}
