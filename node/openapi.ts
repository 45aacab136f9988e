// The gateway's OpenAPI 3.1 description, generated from its route table (node/gateway-routes.ts) and
// the answer shapes of protocol/views/, which also parse: the document cannot describe a route
// the gateway does not serve, nor a shape PoolClient does not read. Served at /openapi.json;
// test/node/openapi.test.ts checks every route in it against a gateway over a real app.
import { SOFTWARE_VERSION } from '../app/app.js';
import { HEALTH, type Answer, type JsonSchema, type RefFn } from '../protocol/views/index.js';
import { ROUTES, type Route } from './gateway-routes.js';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: "a refusal: `error` says why (the app's log line or the gateway's reason)",
  properties: {
    error: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'integer', description: "the app's query code (docs/queries.md)" },
    height: { type: ['string', 'null'] },
    route: { type: 'string' },
    routes: { type: 'array', items: { type: 'string' } },
  },
  required: ['error', 'status'],
  additionalProperties: false,
};

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });

function responses(route: Route, ref: RefFn): Record<string, unknown> {
  if (route.fromL1) return l1Responses(route, ref);
  const node = route.pattern.startsWith('/node/');
  const out: Record<string, unknown> = {
    '200': {
      description: route.summary,
      content: json({
        type: 'object',
        properties: {
          height: { type: ['string', 'null'], pattern: '^(0|[1-9][0-9]*)$', description: node ? 'null: not read from the app' : 'the committed height the answer reads' },
          result: ref(route.result),
        },
        required: ['height', 'result'],
        additionalProperties: false,
      }),
    },
  };
  if (route.params.length > 0) out['400'] = errorResponse('a malformed parameter (checked before the app is asked), or app code 21');
  out['404'] = errorResponse(node ? 'this gateway has no CometBFT RPC to ask' : 'app code 22: no such record, or no state yet');
  if (!node) out['500'] = errorResponse('app code 1 (internal)');
  out['502'] = errorResponse(node ? "the node's CometBFT did not answer" : 'another app code, an answer that is not JSON, or the query failed');
  out['504'] = errorResponse('no answer within the timeout');
  return out;
}

/** A route the node answers from L1 itself (/forced-queue): no app height, 503 without a readable L1. */
function l1Responses(route: Route, ref: RefFn): Record<string, unknown> {
  return {
    '200': {
      description: route.summary,
      content: json({
        type: 'object',
        properties: { height: { type: 'null', description: 'null: read from L1, not from the app' }, result: ref(route.result) },
        required: ['height', 'result'],
        additionalProperties: false,
      }),
    },
    '503': errorResponse("node.json has no l1.batchInbox, or L1 could not be read (the reason is in `error`)"),
    '504': errorResponse('L1 did not answer within the timeout'),
  };
}

/** `/epochs/{id}` as OpenAPI writes paths (the same), with parameters listed per operation. */
export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const ref: RefFn = (s: Answer<unknown>) => {
    if (!s.name) return s.schema(ref);
    if (!(s.name in schemas)) {
      schemas[s.name] = {}; // reserved first: a shape may refer to itself through its fields
      schemas[s.name] = s.schema(ref);
    }
    return { $ref: `#/components/schemas/${s.name}` };
  };
  const paths: Record<string, unknown> = {};
  for (const route of ROUTES) {
    paths[route.pattern] = {
      get: {
        operationId: route.operationId,
        summary: route.summary,
        ...(route.aliasOf ? { description: `Another spelling of ${route.aliasOf}.` } : {}),
        'x-pool-client': route.client,
        parameters: route.params.map((p) => ({ name: p.name, in: p.in, required: p.required, description: p.description, schema: p.schema })),
        responses: responses(route, ref),
      },
    };
  }
  paths['/health'] = {
    get: {
      operationId: 'health',
      summary: "the node's health: the app has committed a block and the node's checks pass",
      'x-pool-client': 'health',
      parameters: [],
      responses: {
        '200': { description: 'healthy', content: json(ref(HEALTH)) },
        '503': { description: "not healthy: `reason` says why", content: json(ref(HEALTH)) },
      },
    },
  };
  paths['/openapi.json'] = {
    get: { operationId: 'openapi', summary: 'this document', parameters: [], responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object', required: ['openapi', 'paths'] }) } } },
  };
  paths['/'] = {
    get: {
      operationId: 'dashboard',
      summary: 'the operator dashboard (HTML; its scripts and styles are under /dashboard/)',
      parameters: [],
      responses: { '200': { description: 'the dashboard page', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'seqpool REST gateway',
      version: SOFTWARE_VERSION,
      description:
        "Read-only JSON view of a seqpool node's committed app state (GET and HEAD only), plus what the node sees of its CometBFT under /node/. Integers are decimal strings, bytes hex. Reference: docs/api.md; typed client: PoolClient (client/pool-client.ts).",
    },
    servers: [{ url: '/' }],
    paths,
    components: { schemas },
  };
}
