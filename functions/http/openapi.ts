/**
 * GET /api/openapi.json: the API's OpenAPI 3.1 document (openapi-document.ts). Built on the first
 * request and kept as text: the module and zod-openapi are loaded then, so app start-up and every
 * other route never pay for them.
 */
import { HttpHandler, withProblems } from './problem';

let documentText: Promise<string> | undefined;

/** The document as served; the tests validate it and every answer they receive against it. */
export async function openApiDocumentText(): Promise<string> {
  documentText ??= import('./openapi-document').then(({ buildOpenApiDocument }) => JSON.stringify(buildOpenApiDocument()));
  try {
    return await documentText;
  } catch (error) {
    documentText = undefined; // a failed build is tried again by the next request, not cached
    throw error;
  }
}

export function openApiHandler(): HttpHandler {
  return withProblems(async () => ({
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
    body: await openApiDocumentText(),
  }));
}
