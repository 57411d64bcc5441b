import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchemaCompiler, RouteShorthandOptions } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler } from 'fastify-type-provider-zod';
import type { OpenAPIV3 } from 'openapi-types';
import { z } from 'zod';
import { requireRole } from '../auth/guards.js';

/** Every JSON error: what went wrong and, for bad input, the field (and every field's first problem). */
export const apiErrorSchema = z
  .object({
    error: z.string(),
    message: z.string(),
    field: z.string().optional(),
    fields: z.record(z.string(), z.string()).optional(),
  })
  .meta({ id: 'Error' });

export const staffErrors = { 400: apiErrorSchema, 401: apiErrorSchema, 403: apiErrorSchema } as const;

// Handlers validate their input themselves with the very schema the route declares (shared with the HTML page,
// whose errors render in the form), so Fastify only passes it on; the schema still describes it in the document.
const handlerValidates: FastifySchemaCompiler<unknown> = () => (value) => ({ value });

/**
 * Options for a JSON route described by zod schemas: they become its OpenAPI operation, and every response is
 * checked against the schema of its status before it is sent (a mismatch is our fault: 500, and tests fail).
 */
export function documented(schema: NonNullable<RouteShorthandOptions['schema']>): RouteShorthandOptions {
  // The compiler takes zod schemas; Fastify's route options type schemas as JSON Schema.
  return { schema, validatorCompiler: handlerValidates, serializerCompiler: serializerCompiler as RouteShorthandOptions['serializerCompiler'] };
}

/**
 * zod's JSON Schema marks a query field required when it is filled in before validation (an absent
 * `neighborhood` becomes an empty list): a field is required only when the schema refuses a query without it.
 */
const queryDefaultsTransform: typeof jsonSchemaTransform = (document) => {
  const result = jsonSchemaTransform(document);
  const zodQuery = document.schema?.querystring;
  const query = (result.schema as { querystring?: { required?: string[] } } | undefined)?.querystring;
  if (zodQuery instanceof z.ZodType && query?.required) {
    const parsed = zodQuery.safeParse({});
    const missing = new Set(parsed.success ? [] : parsed.error.issues.map((issue) => String(issue.path[0])));
    query.required = query.required.filter((name) => missing.has(name));
  }
  return result;
};

/** The OpenAPI document of the JSON routes (those with tags), for staff at /api/openapi.json and /api/docs. */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Common Ground',
        version: '1',
        description: 'Protected aggregates as JSON. Staff routes need a staff session cookie; public routes need nothing.',
      },
      components: { securitySchemes: { staffSession: { type: 'apiKey', in: 'cookie', name: 'cg_session' } } },
    },
    hideUntagged: true,
    transform: queryDefaultsTransform,
    transformObject: jsonSchemaTransformObject,
  });
});

export function openapiDocument(app: FastifyInstance): OpenAPIV3.Document {
  return app.swagger() as OpenAPIV3.Document;
}

/** Staff read the document as JSON and as a page listing operations, parameters and response shapes (no script). */
export async function openapiRoutes(app: FastifyInstance) {
  const staffOnly = requireRole('admin', 'liaison');

  app.get(
    '/api/openapi.json',
    {
      preHandler: staffOnly,
      ...documented({
        tags: ['documentation'],
        summary: 'This OpenAPI document',
        response: { 200: z.looseObject({ openapi: z.string() }), 401: apiErrorSchema, 403: apiErrorSchema },
      }),
    },
    async () => openapiDocument(app),
  );

  app.get('/api/docs', { preHandler: staffOnly }, async (_request, reply) => {
    const document = openapiDocument(app);
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      (['get', 'post', 'put', 'patch', 'delete'] as const).flatMap((method) => {
        const op = item?.[method];
        if (!op) return [];
        return [
          {
            method: method.toUpperCase(),
            path,
            id: `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-'),
            summary: op.summary,
            description: op.description,
            tags: op.tags?.join(', '),
            parameters: (op.parameters ?? []).map((p) => {
              const param = p as OpenAPIV3.ParameterObject;
              return { name: param.name, in: param.in, required: param.required === true, schema: JSON.stringify(param.schema ?? {}) };
            }),
            responses: Object.entries(op.responses).map(([status, r]) => {
              const content = (r as OpenAPIV3.ResponseObject).content ?? {};
              return {
                status,
                description: (r as OpenAPIV3.ResponseObject).description,
                shape: JSON.stringify(Object.values(content)[0]?.schema ?? {}, null, 2),
              };
            }),
          },
        ];
      }),
    );
    return reply.view('api/docs', {
      title: 'JSON API',
      info: document.info,
      operations,
      schemas: Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => ({ name, shape: JSON.stringify(schema, null, 2) })),
    });
  });
}
