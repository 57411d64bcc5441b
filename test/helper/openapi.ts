import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3 } from 'openapi-types';
import { openapiDocument } from '../../src/plugins/openapi.js';

/** /api routes that answer with a page, not JSON, and so are not operations of the document. */
export const undocumentedApiPages = ['/api/docs'];

const documentPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Checks every response of a documented /api or public JSON route against the app's own OpenAPI document: its status
 * must be listed for the operation and its body must match that response's schema. A mismatch fails the request.
 */
export function checkResponsesAgainstDocument(app: FastifyInstance) {
  let document: OpenAPIV3.Document | undefined;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();

  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (route === undefined || !(route.startsWith('/api/') || route.endsWith('.json')) || undocumentedApiPages.includes(route)) return payload;
    if (!document) {
      document = openapiDocument(app);
      ajv.addSchema(document, 'openapi');
    }
    const method = request.method.toLowerCase() as OpenAPIV3.HttpMethods;
    const operation = document.paths[documentPath(route)]?.[method];
    const fail = (message: string) => {
      const error = new Error(`${request.method} ${route} ${reply.statusCode}: ${message}`);
      console.error(error.message);
      throw error;
    };
    if (!operation) return fail('the route is not in the OpenAPI document');
    const response = operation.responses[String(reply.statusCode)] as OpenAPIV3.ResponseObject | undefined;
    if (!response) return fail(`status ${reply.statusCode} is not documented`);
    const key = `${method} ${route} ${reply.statusCode}`;
    let validate = validators.get(key);
    if (!validate) {
      const pointer = ['paths', documentPath(route), method, 'responses', String(reply.statusCode), 'content', 'application/json', 'schema']
        .map((part) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1')))
        .join('/');
      validate = ajv.compile({ $ref: `openapi#/${pointer}` });
      validators.set(key, validate);
    }
    if (!String(reply.getHeader('content-type')).startsWith('application/json')) return fail('the answer is not JSON');
    if (!validate(JSON.parse(String(payload)))) return fail(ajv.errorsText(validate.errors));
    return payload;
  });
}
